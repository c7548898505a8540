import CryptoIO
import Foundation

/// Reading overlaps hashing: one producer (the thread that walks directories and
/// decompresses archives) copies bytes into batches; one worker thread per digest
/// algorithm hashes them. Memory is bounded: the producer waits while a worker
/// is more than `maxPendingBytes` behind.
///
/// Streams are numbered by the caller; bytes of different streams may interleave.
final class DigestPipeline: @unchecked Sendable {
    struct Event {
        var stream: Int32
        var start: Int32
        var length: Int32
        var isEnd: Bool
    }

    /// Bytes of many events in one allocation.
    final class Batch: @unchecked Sendable {
        let storage: UnsafeMutableRawBufferPointer
        var used = 0
        var events: [Event] = []
        init(capacity: Int) {
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
            events.reserveCapacity(64)
        }
        deinit { storage.deallocate() }
        var free: Int { storage.count - used }
    }

    final class Worker: @unchecked Sendable {
        let algorithm: DigestAlgorithm
        let condition = NSCondition()
        var queue: [Batch] = []
        var head = 0
        var pendingBytes = 0
        var closed = false
        var results: [Int: [UInt8]] = [:]
        var finishedThread = false
        var thread: Thread?

        init(_ algorithm: DigestAlgorithm) { self.algorithm = algorithm }

        func run() {
            var hashers: [Int32: Hasher] = [:]
            var spare: [Hasher] = []
            var local: [Int: [UInt8]] = [:]
            while true {
                condition.lock()
                while head == queue.count && !closed { condition.wait() }
                if head == queue.count && closed {
                    condition.unlock()
                    break
                }
                let batch = queue[head]
                head += 1
                if head > 1024 {
                    queue.removeFirst(head)
                    head = 0
                }
                condition.unlock()

                for event in batch.events {
                    let hasher: Hasher
                    if let h = hashers[event.stream] {
                        hasher = h
                    } else {
                        hasher = spare.popLast() ?? Hasher(algorithm)
                        hashers[event.stream] = hasher
                    }
                    if event.length > 0 {
                        hasher.update(UnsafeRawBufferPointer(rebasing: batch.storage[Int(event.start)..<Int(event.start + event.length)]))
                    }
                    if event.isEnd {
                        local[Int(event.stream)] = hasher.finalize()
                        hashers[event.stream] = nil
                        spare.append(hasher)
                    }
                }
                condition.lock()
                pendingBytes -= batch.used
                condition.broadcast()
                condition.unlock()
            }
            condition.lock()
            results = local
            finishedThread = true
            condition.broadcast()
            condition.unlock()
        }
    }

    let batchCapacity: Int
    let maxPendingBytes: Int
    private let workers: [Worker]
    private var current: Batch

    init(algorithms: [DigestAlgorithm], batchCapacity: Int = 1 << 20, maxPendingBytes: Int = 16 << 20) {
        self.batchCapacity = batchCapacity
        self.maxPendingBytes = maxPendingBytes
        self.workers = algorithms.map(Worker.init)
        self.current = Batch(capacity: batchCapacity)
        for worker in workers {
            let thread = Thread { worker.run() }
            thread.name = "passbox-\(worker.algorithm.rawValue)"
            thread.stackSize = 1 << 20
            worker.thread = thread
            thread.start()
        }
    }

    /// Appends bytes of `stream`.
    func feed(_ stream: Int, _ bytes: UnsafeRawBufferPointer) {
        var remaining = bytes
        while !remaining.isEmpty {
            if current.free == 0 { flush() }
            let n = min(current.free, remaining.count)
            let start = current.used
            guard let source = remaining.baseAddress, let target = current.storage.baseAddress else { return }
            target.advanced(by: start).copyMemory(from: source, byteCount: n)
            current.used += n
            current.events.append(Event(stream: Int32(stream), start: Int32(start), length: Int32(n), isEnd: false))
            remaining = UnsafeRawBufferPointer(rebasing: remaining[n...])
        }
    }

    /// Lets `fill` write straight into the batch (no copy): it gets free space and
    /// returns how many bytes it wrote (0 at the end, negative on error).
    func fill(_ stream: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        if current.free < 64 * 1024 { flush() }
        let start = current.used
        let space = UnsafeMutableRawBufferPointer(rebasing: current.storage[start...])
        let n = fill(space)
        if n > 0 {
            current.used += n
            current.events.append(Event(stream: Int32(stream), start: Int32(start), length: Int32(n), isEnd: false))
        }
        return n
    }

    /// Ends `stream`: its digests are final.
    func finish(_ stream: Int) {
        current.events.append(Event(stream: Int32(stream), start: 0, length: 0, isEnd: true))
        if current.events.count >= 4096 { flush() }
    }

    private func flush() {
        let batch = current
        guard !batch.events.isEmpty else { return }
        current = Batch(capacity: batchCapacity)
        for worker in workers {
            worker.condition.lock()
            while worker.pendingBytes > maxPendingBytes { worker.condition.wait() }
            worker.queue.append(batch)
            worker.pendingBytes += batch.used
            worker.condition.broadcast()
            worker.condition.unlock()
        }
    }

    /// Waits for the workers and returns every finished stream's digests.
    func close() -> [Int: [DigestAlgorithm: [UInt8]]] {
        flush()
        var out: [Int: [DigestAlgorithm: [UInt8]]] = [:]
        for worker in workers {
            worker.condition.lock()
            worker.closed = true
            worker.condition.broadcast()
            while !worker.finishedThread { worker.condition.wait() }
            let results = worker.results
            worker.condition.unlock()
            for (stream, digest) in results {
                out[stream, default: [:]][worker.algorithm] = digest
            }
        }
        return out
    }
}
