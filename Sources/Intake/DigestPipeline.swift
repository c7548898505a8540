import CryptoIO
import Foundation

/// Reading overlaps hashing: one producer (the thread that walks directories and
/// decompresses archives) copies bytes into batches; worker threads hash them, and
/// the producer hashes some itself when it is ahead of them.
///
/// Work is split by (stream, algorithm): each stream's digest for one algorithm is
/// computed by one hasher at a time (a digest is sequential), and each new stream's
/// digests go to the workers with the least work so far, so many small files spread
/// over all cores while one large file still gets one core per algorithm.
///
/// There is one worker fewer than cores (at least one): the producer is the last
/// hasher. While the workers are behind (the producer had to wait for one), the
/// producer hashes new small streams itself as it reads them, and takes one
/// algorithm of a large stream when every worker already has one. When a worker is
/// idle a quarter of the time, the producer is the slower side: it stops taking new
/// streams and hands the ones it holds to workers not hashing them yet (the hash
/// state travels in the batch, ahead of the stream's next bytes). With as many
/// workers as cores, the workers and the producer shared cores, and a worker holding
/// an archive's own stream fell behind while another idled: a tar of 50,000 × 4 KiB
/// took 0.23 s (sha256) and 0.45 s (sha256+sha512), now 0.20 s and 0.40 s.
///
/// Memory is bounded: the producer waits while a worker is more than
/// `maxPendingBytes` behind. Streams are numbered by the caller; bytes of different
/// streams may interleave.
final class DigestPipeline: @unchecked Sendable {
    struct Event {
        enum Kind: UInt8 {
            /// `length` bytes at `start` of the batch.
            case bytes
            /// The stream ends: its digests are final.
            case end
            /// The producer hands its hasher of algorithm `length` (the batch's
            /// `handoffs[start]`) to the worker that now owns it.
            case handoff
        }
        var stream: Int32
        var start: Int32
        var length: Int32
        var kind: Kind
        /// The hasher of each algorithm: 8 bits per algorithm, algorithm i in bits
        /// 8i..<8i+8; a worker's index, or `producer`.
        var owners: UInt32
    }

    /// The owner index of the producer (workers are 0..<64).
    static let producer: UInt32 = 0xff

    /// Who hashes: `adaptive` in use; tests force the producer's part.
    enum Sharing: Sendable {
        /// As described above.
        case adaptive
        /// Workers only (the producer never hashes).
        case workersOnly
        /// The producer hashes every stream itself.
        case producerOnly
        /// The producer takes every stream and hands it to workers after its first piece.
        case handOffAfterFirstPiece
    }

    let algorithms: [DigestAlgorithm]
    let batchCapacity: Int
    let maxPendingBytes: Int
    let workers: [Worker]
    let sharing: Sharing
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
    /// Owners with the producer for every algorithm.
    private let allProducer: UInt32

    /// The producer is ahead of the workers: it hashes new small streams itself.
    private var helping = true
    /// Since when, and over how many flushes, the workers' idle time is summed up to
    /// decide whether the producer is the slower side.
    private var windowStart: UInt64 = 0
    private var windowFlushes = 0
    private var idleSeen: [UInt64]
    /// Windows in a row in which a worker was idle half the time: only then does a
    /// worker that already hashes a stream take the producer's other digest of it too.
    private var slowWindows = 0
    /// Bytes the producer hashed that no worker saw, since it last looked at the workers.
    private var producerOnlyBytes = 0
    /// The next stream, announced by `expect` as small enough for the producer to hash whole.
    private var smallStream: Int32 = -1
    /// The producer's hashers, by stream × 4 + algorithm, and spare ones per algorithm.
    private var producerOpen: [Int: Hasher] = [:]
    private var producerSpare: [[Hasher]]
    /// Digests the producer finished and has not stored yet, their bytes back to back.
    private var producerFinished: [Result] = []
    private var producerFinishedBytes: [UInt8] = []

    /// A stream of at most this many bytes (announced with `expect`) is hashed whole
    /// by the producer while it is ahead.
    static let smallStreamBytes: Int64 = 1 << 20

    /// - Parameter workerCount: hashing threads beside the producer; defaults to one
    ///   fewer than cores, at least one, at most 64.
    init(algorithms: [DigestAlgorithm], workerCount: Int? = nil, batchCapacity: Int = 1 << 20, maxPendingBytes: Int = 4 << 20,
         sharing: Sharing = .adaptive) {
        precondition(!algorithms.isEmpty && algorithms.count <= 4, "1 to 4 digest algorithms")
        self.algorithms = algorithms
        self.batchCapacity = batchCapacity
        self.maxPendingBytes = maxPendingBytes
        self.sharing = sharing
        let count = min(64, max(sharing == .producerOnly ? 0 : 1, workerCount ?? (ProcessInfo.processInfo.activeProcessorCount - 1)))
        let pool = Pool(capacity: batchCapacity)
        self.pool = pool
        let results = Results(algorithms: algorithms)
        self.results = results
        self.workers = (0..<count).map { Worker(index: $0, algorithms: algorithms, pool: pool, results: results) }
        self.load = Array(repeating: 0, count: count)
        self.idleSeen = Array(repeating: 0, count: count)
        self.producerSpare = Array(repeating: [], count: algorithms.count)
        // Relative cost per byte, from `openssl speed -evp` on x86-64 with SHA-NI
        // (SHA-256 2.0 GB/s, SHA-384/512 1.1 GB/s). Elsewhere the split is merely less even.
        let cost = algorithms.map { $0 == .sha256 ? 4 : 7 }
        self.cost = cost
        self.costOrder = algorithms.indices.sorted { cost[$0] > cost[$1] }
        self.allProducer = algorithms.indices.reduce(0) { $0 | Self.producer << (8 * UInt32($1)) }
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

    /// Announces that `stream`, not fed yet, has `size` bytes (nil: unknown): a small
    /// one is hashed by the producer itself while the workers are behind.
    func expect(_ stream: Int, size: Int64?) {
        smallStream = (size ?? .max) <= Self.smallStreamBytes ? Int32(stream) : -1
    }

    private func owner(_ owners: UInt32, _ algorithm: Int) -> UInt32 {
        (owners >> (8 * UInt32(algorithm))) & 0xff
    }

    private func producerHolds(_ owners: UInt32) -> Bool {
        algorithms.indices.contains { owner(owners, $0) == Self.producer }
    }

    /// The least loaded worker not in `taken`, or nil when every worker is.
    private func leastLoaded(excluding taken: UInt64) -> Int? {
        var best: Int?
        for w in load.indices where taken & (1 << UInt64(w)) == 0 {
            if let b = best, load[b] <= load[w] { continue }
            best = w
        }
        return best
    }

    /// The hashers of `stream`, chosen when it first appears: for each algorithm
    /// (costliest first), the least loaded worker not already hashing this stream; when
    /// every worker has one, the producer while it is ahead, else a worker again. A
    /// small stream goes to the producer whole while it is ahead.
    private func ownersOf(_ stream: Int32) -> UInt32 {
        if stream == lastStream { return lastOwners }
        let packed: UInt32
        if let known = owners[stream] {
            packed = known
        } else {
            let small = stream == smallStream
            smallStream = -1
            var producerMay: Bool
            switch sharing {
            case .adaptive: producerMay = helping
            case .workersOnly: producerMay = false
            case .producerOnly, .handOffAfterFirstPiece: producerMay = true
            }
            if producerMay && (small || sharing != .adaptive) {
                packed = allProducer
            } else {
                var taken: UInt64 = 0
                var p: UInt32 = 0
                for algorithm in costOrder {
                    let chosen: UInt32
                    if let w = leastLoaded(excluding: taken) {
                        taken |= 1 << UInt64(w)
                        chosen = UInt32(w)
                    } else if producerMay {
                        producerMay = false
                        chosen = Self.producer
                    } else {
                        chosen = UInt32(leastLoaded(excluding: 0) ?? 0)
                    }
                    p |= chosen << (8 * UInt32(algorithm))
                }
                packed = p
            }
            owners[stream] = packed
        }
        lastStream = stream
        lastOwners = packed
        return packed
    }

    private func account(_ owners: UInt32, _ length: Int) {
        for algorithm in algorithms.indices {
            let o = owner(owners, algorithm)
            if o != Self.producer { load[Int(o)] += length * cost[algorithm] }
        }
    }

    /// The owners of `stream` for its next bytes: the producer's hashers go to workers
    /// once it is the slower side (the hash state travels in the batch, ahead of the
    /// stream's next bytes, so each worker sees them in order).
    private func ownersForBytes(_ stream: Int32) -> UInt32 {
        let owners = ownersOf(stream)
        guard owners != 0, producerHolds(owners) else { return owners }
        let handOff: Bool
        switch sharing {
        case .adaptive: handOff = !helping
        case .workersOnly, .producerOnly: handOff = false
        case .handOffAfterFirstPiece:
            handOff = algorithms.indices.contains { producerOpen[Int(stream) << 2 | $0] != nil }
        }
        return handOff ? handOffToWorkers(stream, owners) : owners
    }

    private func handOffToWorkers(_ stream: Int32, _ owners: UInt32) -> UInt32 {
        var taken: UInt64 = 0
        for algorithm in algorithms.indices where owner(owners, algorithm) != Self.producer {
            taken |= 1 << UInt64(owner(owners, algorithm))
        }
        var p = owners
        // A worker that already hashes this stream would hash it twice as long: only
        // when the producer is clearly the slower side (or in tests) does it take more.
        let doubling = slowWindows >= 3 || sharing == .handOffAfterFirstPiece
        for algorithm in costOrder where owner(owners, algorithm) == Self.producer {
            guard let w = leastLoaded(excluding: taken) ?? (doubling ? leastLoaded(excluding: 0) : nil) else { continue }
            taken |= 1 << UInt64(w)
            let shift = 8 * UInt32(algorithm)
            p = (p & ~(0xff << shift)) | UInt32(w) << shift
            let hasher = producerHasher(stream, algorithm)
            producerOpen[Int(stream) << 2 | algorithm] = nil
            current.handoffs.append(hasher)
            current.events.append(Event(stream: stream, start: Int32(current.handoffs.count - 1), length: Int32(algorithm),
                                        kind: .handoff, owners: p))
        }
        self.owners[stream] = p
        lastStream = stream
        lastOwners = p
        return p
    }

    private func producerHasher(_ stream: Int32, _ algorithm: Int) -> Hasher {
        let key = Int(stream) << 2 | algorithm
        if let hasher = producerOpen[key] { return hasher }
        let hasher = producerSpare[algorithm].popLast() ?? Hasher(algorithms[algorithm])
        producerOpen[key] = hasher
        return hasher
    }

    /// Hashes `bytes` for the algorithms of `stream` the producer holds.
    private func hashHere(_ stream: Int32, _ owners: UInt32, _ bytes: UnsafeRawBufferPointer) {
        for algorithm in algorithms.indices where owner(owners, algorithm) == Self.producer {
            producerHasher(stream, algorithm).update(bytes)
        }
        if owners == allProducer {
            producerOnlyBytes += bytes.count
            if producerOnlyBytes >= batchCapacity {
                producerOnlyBytes = 0
                // Hashing alone while a worker has nothing to do: the producer is the slower side.
                if workers.contains(where: { w in w.condition.withLock { w.pendingBytes == 0 } }) { helping = false }
            }
        }
    }

    /// Appends bytes of `stream`. Bytes that already lie in the batch being filled
    /// (an uncompressed archive's entry, handed back by the archive reader from what
    /// `fillPinned` read) are referred to where they are, not copied.
    func feed(_ stream: Int, _ bytes: UnsafeRawBufferPointer) {
        let id = Int32(stream)
        let streamOwners = ownersForBytes(id)
        if producerHolds(streamOwners) {
            hashHere(id, streamOwners, bytes)
            if streamOwners == allProducer { return }
        }
        guard var source = bytes.baseAddress else { return }
        if let base = current.storage.baseAddress, source >= UnsafeRawPointer(base),
           source + bytes.count <= UnsafeRawPointer(base) + current.used {
            let start = source - UnsafeRawPointer(base)
            current.events.append(Event(stream: id, start: Int32(start), length: Int32(bytes.count), kind: .bytes, owners: streamOwners))
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
            batch.events.append(Event(stream: id, start: Int32(start), length: Int32(n), kind: .bytes, owners: streamOwners))
            account(streamOwners, n)
            source += n
            remaining -= n
        }
    }

    /// Lets `fill` write straight into the batch (no copy): it gets free space and
    /// returns how many bytes it wrote (0 at the end, negative on error). The bytes are
    /// readable only inside `fill`.
    func fill(_ stream: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        let id = Int32(stream)
        let streamOwners = ownersForBytes(id)
        if current.free < 64 * 1024 { flush() }
        let start = current.used
        let space = UnsafeMutableRawBufferPointer(rebasing: current.storage[start...])
        let n = fill(space)
        if n > 0 {
            if producerHolds(streamOwners) { hashHere(id, streamOwners, UnsafeRawBufferPointer(rebasing: space[0..<n])) }
            if streamOwners != allProducer {
                current.used += n
                current.events.append(Event(stream: id, start: Int32(start), length: Int32(n), kind: .bytes, owners: streamOwners))
                account(streamOwners, n)
            }
        }
        return n
    }

    /// Like `fill`, and the bytes written stay readable where they are until the next
    /// `fillPinned` or `releasePin`: an archive reader parses them in place, and what
    /// it hands back from them is hashed without a copy (see `feed`).
    func fillPinned(_ stream: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> (count: Int, bytes: UnsafeRawBufferPointer) {
        releasePin()
        let id = Int32(stream)
        let streamOwners = ownersForBytes(id)
        if current.free < 64 * 1024 { flush() }
        let batch = current
        let start = batch.used
        let space = UnsafeMutableRawBufferPointer(rebasing: batch.storage[start...])
        let n = fill(space)
        guard n > 0 else { return (n, UnsafeRawBufferPointer(start: nil, count: 0)) }
        let bytes = UnsafeRawBufferPointer(rebasing: space[0..<n])
        batch.used += n
        if producerHolds(streamOwners) { hashHere(id, streamOwners, bytes) }
        if streamOwners != allProducer {
            batch.events.append(Event(stream: id, start: Int32(start), length: Int32(n), kind: .bytes, owners: streamOwners))
            account(streamOwners, n)
        }
        pool.pin(batch)
        pinned = batch
        return (n, bytes)
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
        for algorithm in algorithms.indices where owner(streamOwners, algorithm) == Self.producer {
            let hasher = producerOpen.removeValue(forKey: Int(id) << 2 | algorithm)
                ?? producerSpare[algorithm].popLast() ?? Hasher(algorithms[algorithm])
            producerFinished.append(Result(stream: id, algorithm: algorithm, offset: producerFinishedBytes.count))
            hasher.finalize(appendingTo: &producerFinishedBytes)
            producerSpare[algorithm].append(hasher)
        }
        if producerFinished.count >= 1024 { storeProducerResults() }
        if streamOwners != allProducer {
            current.events.append(Event(stream: id, start: 0, length: 0, kind: .end, owners: streamOwners))
            if current.events.count >= 4096 { flush() }
        }
    }

    private func storeProducerResults() {
        guard !producerFinished.isEmpty else { return }
        results.store(producerFinished, bytes: producerFinishedBytes)
        producerFinished.removeAll(keepingCapacity: true)
        producerFinishedBytes.removeAll(keepingCapacity: true)
    }

    private func flush() {
        let batch = current
        guard !batch.events.isEmpty else {
            // Nothing for the workers: the bytes in it, if any, were the producer's alone.
            if batch.used > 0 {
                if batch === pinned {
                    current = pool.take()
                    pool.handOut(batch, to: 0) // back to the pool once unpinned
                } else {
                    batch.used = 0
                }
            }
            return
        }
        current = pool.take()
        pool.handOut(batch, to: workers.count)
        var waited = false
        var idle: UInt64 = 0
        for (i, worker) in workers.enumerated() {
            worker.condition.lock()
            while worker.pendingBytes > maxPendingBytes {
                waited = true
                worker.condition.wait()
            }
            idle = max(idle, worker.idleNanoseconds - idleSeen[i])
            worker.queue.append(batch)
            worker.pendingBytes += batch.used
            worker.condition.broadcast()
            worker.condition.unlock()
        }
        judgeSides(waited: waited, idle: idle)
    }

    /// Waiting for a worker: the producer is ahead, and hashes small streams itself.
    /// A worker idle a quarter of the time over the last few batches: the producer is
    /// behind, and hands its streams over. (Not one idle moment: a single pause of the
    /// producer then moved a large file's second digest onto the worker with the first.)
    private func judgeSides(waited: Bool, idle: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        if waited || windowFlushes == 0 {
            if waited {
                helping = true
                slowWindows = 0
            }
            startWindow(now)
            return
        }
        windowFlushes += 1
        guard windowFlushes > 4 else { return }
        let elapsed = now - windowStart
        if idle * 4 > elapsed { helping = false }
        slowWindows = idle * 2 > elapsed ? slowWindows + 1 : 0
        startWindow(now)
    }

    private func startWindow(_ now: UInt64) {
        windowStart = now
        windowFlushes = 1
        for (i, worker) in workers.enumerated() {
            idleSeen[i] = worker.condition.withLock { worker.idleNanoseconds }
        }
    }

    /// The digests of the streams finished since the last call, by stream number
    /// (the producer's: it calls this between entries).
    func takeFinished() -> [Int: Digests] {
        storeProducerResults()
        return results.take()
    }

    /// Waits for the workers and returns the digests of the streams finished since the
    /// last `takeFinished`, by stream number (a stream never finished has none).
    func close() -> [Int: Digests] {
        releasePin()
        flush()
        storeProducerResults()
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
