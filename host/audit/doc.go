// Package audit writes and verifies Toolgate's tamper-evident audit trail:
// one record for every tool call and every refused request.
//
// # File format
//
// The trail is a text file of JSON objects, one per line, each line ended
// by "\n". The fields come in the order of [Record]'s declaration, so the
// three chain fields always come last:
//
//	{"time":"2026-11-25T19:00:00.123456789Z","request_id":"3k2j9x","subject":"alice",...,"seq":57,"prev":"9f86d0…","hash":"e3b0c4…"}
//
// # The hash chain
//
// Let L(n) be the bytes of the line holding record n, without its "\n".
//
//   - hash: L(n) ends with `,"hash":"` followed by 64 lowercase hex digits H
//     and `"}`. The record's content C(n) is L(n) with those 64 digits
//     removed, i.e. the same line ending in `"hash":""}`. The record is
//     intact when H = hex(SHA-256(C(n))). The hash is taken over the bytes
//     as stored, never over a re-encoding, so the definition does not
//     depend on any JSON encoder's choices.
//   - prev: hex(SHA-256(L(n-1))), the digest of the entire previous line,
//     its hash included; "" only for the first record of a new chain.
//   - seq: seq(n) = seq(n-1) + 1; the first record of a new chain has seq 1.
//
// The hash pins every byte of a record, so an edit is found at the record
// itself (even the last one); prev pins the previous line, so deleting,
// inserting or reordering records breaks the link at the next line; seq
// makes a break easy to name ("record 58 is missing").
//
// # Rotation and restarts
//
// When the next record would take the file past Options.MaxBytes, the
// writer renames file to file.1 (shifting file.1 to file.2 and so on, keeping
// Options.MaxFiles rotated files) and goes on in a new file with the same
// chain: the first record of the new file links to the last line of the old
// one. [Verify] checks files as one chain when given oldest first:
//
//	toolgate audit verify audit.log.3 audit.log.2 audit.log.1 audit.log
//
// On [Open] the writer reads the last line of the existing file (or of
// file.1 when the current file is missing or empty, as after a crash during
// rotation) and continues its seq and prev. If that line is torn (the
// process died mid-write, so the file does not end in "\n") or does not
// verify, the writer ends a torn line with "\n" (leaving its bytes as they
// are), logs the break and starts a new segment with a record whose method
// is [MethodRestart]: its prev is the digest of the broken line, so those
// bytes stay pinned; its seq follows the last intact record; its reason
// says where the break is. Verify accepts such an explicit restart,
// exactly one broken line before it, reporting it as a warning; any other
// break is an error. A last record that only lacks its "\n" is not broken:
// the writer adds the newline and goes on. On
// standard output nothing can be read back, so every run starts a new
// chain with a restart record whose prev is "".
//
// When Options.DropWhenFull drops records, dropped records never get a
// seq, so the chain stays intact; the writer then records how many were
// dropped in a record whose method is [MethodDropped].
//
// The writer's own records (restart, dropped) have an empty decision; every
// record passed to [Log.Write] has one, so a refused request whose method a
// client named "audit/restart" is not taken for a restart.
//
// # Durability
//
// [Log.Write] never waits for the disk: it queues the record and returns.
// A single writer goroutine takes what is queued, appends it to the file in
// one write per batch, and calls fsync at most once a second (and at
// Close). So, when the writer is keeping up:
//
//   - a record Write accepted reaches the operating system within a batch,
//     typically microseconds, and survives the Toolgate process crashing
//     after that;
//   - it reaches stable storage within about a second, and survives a power
//     loss or kernel crash after that;
//   - records still queued when the process dies (at most Options.Buffer)
//     are lost; a record cut in half becomes a torn line that the next Open
//     turns into an explicit restart.
//
// A failing write is retried, with backoff, without consuming more of the
// queue; the queue then fills and Write returns [ErrFull] (or, with
// DropWhenFull, drops and counts), so a broken disk is never silent.
//
// # What the chain does and does not prove
//
// The chain is not keyed: anyone who can rewrite the file can recompute
// every hash after the record they change. It proves that the files are
// one unbroken sequence as written, and it turns any partial edit, deletion
// or insertion into a located error. To detect a rewrite of the tail, or
// the removal of the newest records, keep the chain head somewhere the
// writer's host cannot change: the writer logs seq and hash of the head at
// Open and Close, and shipping the file (or those log lines) elsewhere as
// it grows anchors everything before them.
package audit
