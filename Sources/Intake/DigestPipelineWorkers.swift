import CryptoIO
import Foundation

/// The pipeline's moving parts: batches of bytes, the pool that hands them out, the
/// worker threads that hash them, and the results they collect.
extension DigestPipeline {
    /// Bytes of many events in one allocation.
    final class Batch: @unchecked Sendable {
        let storage: UnsafeMutableRawBufferPointer
        var used = 0
        var events: [Event] = []
        /// Hash states the producer passes to workers (see `Event.Kind.handoff`).
        var handoffs: [Hasher] = []
        /// Workers still hashing this batch (guarded by the pool's lock).
        var pendingWorkers = 0
        /// Handed to the workers (guarded by the pool's lock).
        var handedOut = false
        /// The producer still reads from it (guarded by the pool's lock): an archive
        /// reader is parsing bytes that were read into it.
        var pinned = false
        init(capacity: Int) {
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
            events.reserveCapacity(64)
        }
        deinit { storage.deallocate() }
        var free: Int { storage.count - used }
    }

    /// Batches are reused: allocating and freeing a MiB per batch from several
    /// threads fragments malloc's heap (seen: 400 MB RSS for a 230 MB tar of
    /// 4 KiB files; 90 MB with reuse).
    final class Pool: @unchecked Sendable {
        private let lock = NSLock()
        private var free: [Batch] = []
        let capacity: Int
        init(capacity: Int) { self.capacity = capacity }

        func take() -> Batch {
            lock.lock()
            let batch = free.popLast()
            lock.unlock()
            return batch ?? Batch(capacity: capacity)
        }

        func handOut(_ batch: Batch, to workers: Int) {
            lock.lock()
            batch.pendingWorkers = workers
            batch.handedOut = true
            lock.unlock()
        }

        func pin(_ batch: Batch) {
            lock.lock()
            batch.pinned = true
            lock.unlock()
        }

        /// The producer no longer reads from `batch`.
        func unpin(_ batch: Batch) {
            lock.lock()
            batch.pinned = false
            recycleIfIdle(batch)
            lock.unlock()
        }

        /// A worker is done with `batch`; the last one returns it to the pool.
        func done(_ batch: Batch) {
            lock.lock()
            batch.pendingWorkers -= 1
            recycleIfIdle(batch)
            lock.unlock()
        }

        /// Back to the pool once hashed by every worker and no longer read by the producer.
        private func recycleIfIdle(_ batch: Batch) {
            guard batch.handedOut, batch.pendingWorkers == 0, !batch.pinned else { return }
            batch.handedOut = false
            guard free.count < 32 else { return }
            batch.used = 0
            batch.events.removeAll(keepingCapacity: true)
            batch.handoffs.removeAll()
            free.append(batch)
        }
    }

    struct Result {
        var stream: Int32
        var algorithm: Int
        /// Where the digest's bytes start among the bytes of the batch's finished digests.
        var offset: Int
    }

    final class Worker: @unchecked Sendable {
        let index: UInt32
        let algorithms: [DigestAlgorithm]
        let pool: Pool
        let condition = NSCondition()
        /// Batches not yet hashed; a batch leaves as soon as it is taken, so its memory goes
        /// back when every worker is done with it.
        var queue: [Batch] = []
        var pendingBytes = 0
        var closed = false
        let results: Results
        var finishedThread = false
        /// Time spent waiting for a batch after the first (guarded by `condition`):
        /// while a worker waits, the producer is the slower side.
        var idleNanoseconds: UInt64 = 0

        init(index: Int, algorithms: [DigestAlgorithm], pool: Pool, results: Results) {
            self.index = UInt32(index)
            self.algorithms = algorithms
            self.pool = pool
            self.results = results
        }

        func run() {
            // Open hashers by stream × 4 + algorithm; spare ones per algorithm.
            var open: [Int: Hasher] = [:]
            var spare: [[Hasher]] = Array(repeating: [], count: algorithms.count)
            // The digests finished in the current batch, their bytes back to back.
            var finished: [Result] = []
            var finishedBytes: [UInt8] = []
            var hashedOne = false
            while true {
                condition.lock()
                if queue.isEmpty && !closed {
                    let since = hashedOne ? DispatchTime.now().uptimeNanoseconds : 0
                    while queue.isEmpty && !closed { condition.wait() }
                    if hashedOne { idleNanoseconds += DispatchTime.now().uptimeNanoseconds - since }
                }
                if queue.isEmpty && closed {
                    condition.unlock()
                    break
                }
                let batch = queue.removeFirst()
                condition.unlock()
                hashedOne = true

                for event in batch.events {
                    if event.kind == .handoff {
                        let algorithm = Int(event.length)
                        if (event.owners >> (8 * UInt32(algorithm))) & 0xff == index {
                            open[Int(event.stream) << 2 | algorithm] = batch.handoffs[Int(event.start)]
                        }
                        continue
                    }
                    for algorithm in 0..<algorithms.count where (event.owners >> (8 * UInt32(algorithm))) & 0xff == index {
                        let key = Int(event.stream) << 2 | algorithm
                        let hasher: Hasher
                        if let h = open[key] {
                            hasher = h
                        } else {
                            hasher = spare[algorithm].popLast() ?? Hasher(algorithms[algorithm])
                            open[key] = hasher
                        }
                        if event.length > 0 {
                            hasher.update(UnsafeRawBufferPointer(rebasing: batch.storage[Int(event.start)..<Int(event.start + event.length)]))
                        }
                        if event.kind == .end {
                            finished.append(Result(stream: event.stream, algorithm: algorithm, offset: finishedBytes.count))
                            hasher.finalize(appendingTo: &finishedBytes)
                            open[key] = nil
                            spare[algorithm].append(hasher)
                        }
                    }
                }
                if !finished.isEmpty {
                    results.store(finished, bytes: finishedBytes)
                    finished.removeAll(keepingCapacity: true)
                    finishedBytes.removeAll(keepingCapacity: true)
                }
                let used = batch.used
                pool.done(batch)
                condition.lock()
                pendingBytes -= used
                condition.broadcast()
                condition.unlock()
            }
            condition.lock()
            finishedThread = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Finished streams' digests, by stream number, until the producer takes them into
    /// its items (it does every few thousand items: see `Run.takeFinishedDigests`).
    /// Workers add theirs after each batch, so nothing waits in per-worker lists, and
    /// only the streams finished since the last take are held here (a dense array of
    /// every stream's digests was 13 MB beside the items at 200,000 files).
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var finishedStreams: [Int: Digests] = [:]
        let algorithms: [DigestAlgorithm]
        init(algorithms: [DigestAlgorithm]) { self.algorithms = algorithms }

        /// `finished[i]`'s digest is `bytes[finished[i].offset...]`, of its algorithm's length.
        func store(_ finished: [Result], bytes: [UInt8]) {
            lock.lock()
            defer { lock.unlock() }
            bytes.withUnsafeBytes { raw in
                for result in finished {
                    let algorithm = algorithms[result.algorithm]
                    finishedStreams[Int(result.stream), default: Digests()].set(
                        algorithm, bytes: UnsafeRawBufferPointer(rebasing: raw[result.offset..<(result.offset + algorithm.byteCount)]))
                }
            }
        }

        /// The digests finished since the last call, by stream (a stream hashed with
        /// several algorithms may come in parts: merge them).
        func take() -> [Int: Digests] {
            lock.lock()
            defer { lock.unlock() }
            let all = finishedStreams
            finishedStreams = [:]
            return all
        }
    }
}
