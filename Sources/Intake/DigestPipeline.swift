import CryptoIO
import Foundation

/// Reading overlaps hashing: one producer (the thread that walks directories and
/// decompresses archives) copies bytes into batches; worker threads hash them.
///
/// Work is split by (stream, algorithm): each stream's digest for one algorithm is
/// computed by one worker (a digest is sequential), and each new stream's digests
/// go to the workers with the least work so far, so many small files spread over
/// all cores while one large file still gets one core per algorithm. There are as
/// many workers as cores, and at least one per algorithm.
///
/// Memory is bounded: the producer waits while a worker is more than
/// `maxPendingBytes` behind. Streams are numbered by the caller; bytes of different
/// streams may interleave.
final class DigestPipeline: @unchecked Sendable {
    struct Event {
        var stream: Int32
        var start: Int32
        var length: Int32
        var isEnd: Bool
        /// The worker of each algorithm: 8 bits per algorithm, algorithm i in bits 8i..<8i+8.
        var owners: UInt32
    }

    /// Bytes of many events in one allocation.
    final class Batch: @unchecked Sendable {
        let storage: UnsafeMutableRawBufferPointer
        var used = 0
        var events: [Event] = []
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

        init(index: Int, algorithms: [DigestAlgorithm], pool: Pool, results: Results) {
            self.index = UInt32(index)
            self.algorithms = algorithms
            self.pool = pool
            self.results = results
        }

        func run() {
            // Below the producer: it is the one thread everything waits for, so when there
            // are more threads than cores it keeps its core and hashers share the rest.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5) // 0: this thread (Linux)
            // Open hashers by stream × 4 + algorithm; spare ones per algorithm.
            var open: [Int: Hasher] = [:]
            var spare: [[Hasher]] = Array(repeating: [], count: algorithms.count)
            // The digests finished in the current batch, their bytes back to back.
            var finished: [Result] = []
            var finishedBytes: [UInt8] = []
            while true {
                condition.lock()
                while queue.isEmpty && !closed { condition.wait() }
                if queue.isEmpty && closed {
                    condition.unlock()
                    break
                }
                let batch = queue.removeFirst()
                condition.unlock()

                for event in batch.events {
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
                        if event.isEnd {
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

    /// Every finished stream's digests, by stream number. Workers add theirs after
    /// each batch, so nothing waits in per-worker lists until the end (at 200,000
    /// files those lists were 50 MB beside the inventory).
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var byStream: [Digests] = []
        let algorithms: [DigestAlgorithm]
        init(algorithms: [DigestAlgorithm]) { self.algorithms = algorithms }

        /// `finished[i]`'s digest is `bytes[finished[i].offset...]`, of its algorithm's length.
        func store(_ finished: [Result], bytes: [UInt8]) {
            lock.lock()
            defer { lock.unlock() }
            bytes.withUnsafeBytes { raw in
                for result in finished {
                    let stream = Int(result.stream)
                    if stream >= byStream.count {
                        byStream += repeatElement(Digests(), count: stream - byStream.count + 1)
                    }
                    let algorithm = algorithms[result.algorithm]
                    byStream[stream].set(algorithm, bytes: UnsafeRawBufferPointer(rebasing: raw[result.offset..<(result.offset + algorithm.byteCount)]))
                }
            }
        }

        func take() -> [Digests] {
            lock.lock()
            defer { lock.unlock() }
            let all = byStream
            byStream = []
            return all
        }
    }

    let algorithms: [DigestAlgorithm]
    let batchCapacity: Int
    let maxPendingBytes: Int
    let workers: [Worker]
    private let pool: Pool
    private let results: Results
    private var current: Batch
    /// The batch holding the last `fillPinned` bytes.
    private var pinned: Batch?
    /// Producer side: the owners of each open stream, and the work given to each worker
    /// so far (bytes × the algorithm's relative cost).
    private var owners: [Int32: UInt32] = [:]
    private var lastStream: Int32 = -1
    private var lastOwners: UInt32 = 0
    private var load: [Int]
    private let cost: [Int]
    /// Algorithm indices, costliest first.
    private let costOrder: [Int]

    /// - Parameter workerCount: defaults to the number of cores; never fewer than the
    ///   number of algorithms (one large file keeps them all busy) nor more than 64.
    init(algorithms: [DigestAlgorithm], workerCount: Int? = nil, batchCapacity: Int = 1 << 20, maxPendingBytes: Int = 8 << 20) {
        precondition(!algorithms.isEmpty && algorithms.count <= 4, "1 to 4 digest algorithms")
        self.algorithms = algorithms
        self.batchCapacity = batchCapacity
        self.maxPendingBytes = maxPendingBytes
        let count = min(64, max(algorithms.count, workerCount ?? ProcessInfo.processInfo.activeProcessorCount))
        let pool = Pool(capacity: batchCapacity)
        self.pool = pool
        let results = Results(algorithms: algorithms)
        self.results = results
        self.workers = (0..<count).map { Worker(index: $0, algorithms: algorithms, pool: pool, results: results) }
        self.load = Array(repeating: 0, count: count)
        // Relative cost per byte, from `openssl speed -evp` on x86-64 with SHA-NI
        // (SHA-256 2.0 GB/s, SHA-384/512 1.1 GB/s). Elsewhere the split is merely less even.
        let cost = algorithms.map { $0 == .sha256 ? 4 : 7 }
        self.cost = cost
        self.costOrder = algorithms.indices.sorted { cost[$0] > cost[$1] }
        self.current = pool.take()
        for worker in workers {
            let thread = Thread { worker.run() }
            thread.name = "passbox-hash-\(worker.index)"
            thread.stackSize = 1 << 20
            // The thread holds the worker until run() returns; nothing holds the thread
            // (a worker → thread → worker cycle leaked every batch, found by the fuzzer).
            thread.start()
        }
    }

    /// The workers hashing `stream`, chosen when it first appears: for each algorithm
    /// (costliest first), the least loaded worker not already hashing this stream.
    private func ownersOf(_ stream: Int32) -> UInt32 {
        if stream == lastStream { return lastOwners }
        let packed: UInt32
        if let known = owners[stream] {
            packed = known
        } else {
            var taken: UInt64 = 0
            var p: UInt32 = 0
            for algorithm in costOrder {
                var best = -1
                for w in load.indices where taken & (1 << UInt64(w)) == 0 && (best < 0 || load[w] < load[best]) { best = w }
                taken |= 1 << UInt64(best)
                p |= UInt32(best) << (8 * UInt32(algorithm))
            }
            packed = p
            owners[stream] = packed
        }
        lastStream = stream
        lastOwners = packed
        return packed
    }

    private func account(_ owners: UInt32, _ length: Int) {
        for algorithm in algorithms.indices {
            load[Int((owners >> (8 * UInt32(algorithm))) & 0xff)] += length * cost[algorithm]
        }
    }

    /// Appends bytes of `stream`. Bytes that already lie in the batch being filled
    /// (an uncompressed archive's entry, handed back by the archive reader from what
    /// `fillPinned` read) are referred to where they are, not copied.
    func feed(_ stream: Int, _ bytes: UnsafeRawBufferPointer) {
        let id = Int32(stream)
        let streamOwners = ownersOf(id)
        guard var source = bytes.baseAddress else { return }
        if let base = current.storage.baseAddress, source >= UnsafeRawPointer(base),
           source + bytes.count <= UnsafeRawPointer(base) + current.used {
            let start = source - UnsafeRawPointer(base)
            current.events.append(Event(stream: id, start: Int32(start), length: Int32(bytes.count), isEnd: false, owners: streamOwners))
            account(streamOwners, bytes.count)
            return
        }
        var remaining = bytes.count
        while remaining > 0 {
            var batch = current
            if batch.used == batch.storage.count {
                flush()
                batch = current
            }
            let start = batch.used
            let n = min(batch.storage.count - start, remaining)
            guard let target = batch.storage.baseAddress else { return }
            (target + start).copyMemory(from: source, byteCount: n)
            batch.used = start + n
            batch.events.append(Event(stream: id, start: Int32(start), length: Int32(n), isEnd: false, owners: streamOwners))
            account(streamOwners, n)
            source += n
            remaining -= n
        }
    }

    /// Lets `fill` write straight into the batch (no copy): it gets free space and
    /// returns how many bytes it wrote (0 at the end, negative on error).
    func fill(_ stream: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        let id = Int32(stream)
        let streamOwners = ownersOf(id)
        if current.free < 64 * 1024 { flush() }
        let start = current.used
        let space = UnsafeMutableRawBufferPointer(rebasing: current.storage[start...])
        let n = fill(space)
        if n > 0 {
            current.used += n
            current.events.append(Event(stream: id, start: Int32(start), length: Int32(n), isEnd: false, owners: streamOwners))
            account(streamOwners, n)
        }
        return n
    }

    /// Like `fill`, and the bytes written stay readable where they are until the next
    /// `fillPinned` or `releasePin`: an archive reader parses them in place, and what
    /// it hands back from them is hashed without a copy (see `feed`).
    func fillPinned(_ stream: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> (count: Int, bytes: UnsafeRawBufferPointer) {
        releasePin()
        let id = Int32(stream)
        let streamOwners = ownersOf(id)
        if current.free < 64 * 1024 { flush() }
        let batch = current
        let start = batch.used
        let space = UnsafeMutableRawBufferPointer(rebasing: batch.storage[start...])
        let n = fill(space)
        guard n > 0 else { return (n, UnsafeRawBufferPointer(start: nil, count: 0)) }
        batch.used += n
        batch.events.append(Event(stream: id, start: Int32(start), length: Int32(n), isEnd: false, owners: streamOwners))
        account(streamOwners, n)
        pool.pin(batch)
        pinned = batch
        return (n, UnsafeRawBufferPointer(rebasing: space[0..<n]))
    }

    /// The bytes of the last `fillPinned` are no longer read.
    func releasePin() {
        if let batch = pinned {
            pinned = nil
            pool.unpin(batch)
        }
    }

    /// Ends `stream`: its digests are final.
    func finish(_ stream: Int) {
        let id = Int32(stream)
        let streamOwners = ownersOf(id)
        owners[id] = nil
        lastStream = -1
        current.events.append(Event(stream: id, start: 0, length: 0, isEnd: true, owners: streamOwners))
        if current.events.count >= 4096 { flush() }
    }

    private func flush() {
        let batch = current
        guard !batch.events.isEmpty else { return }
        current = pool.take()
        pool.handOut(batch, to: workers.count)
        for worker in workers {
            worker.condition.lock()
            while worker.pendingBytes > maxPendingBytes { worker.condition.wait() }
            worker.queue.append(batch)
            worker.pendingBytes += batch.used
            worker.condition.broadcast()
            worker.condition.unlock()
        }
    }

    /// Waits for the workers and returns every stream's digests, indexed by stream
    /// number (empty for a stream that was never finished).
    func close() -> [Digests] {
        releasePin()
        flush()
        for worker in workers {
            worker.condition.lock()
            worker.closed = true
            worker.condition.broadcast()
            while !worker.finishedThread { worker.condition.wait() }
            worker.condition.unlock()
        }
        return results.take()
    }
}
