// Package pdf reads the structure of PDF files and appends incremental updates to them.
//
// It is the ground the PAdES signer and verifier stand on: it parses headers, cross-reference
// tables and streams, object streams, hybrid files and the /Prev chain of incremental updates; it
// reports every revision with the exact byte offset at which it ends, resolves objects as of any
// revision, gives the byte span of every indirect object and of every string token read from the
// file (a signature's /Contents), and walks the page tree and the AcroForm fields. The writer
// appends a new revision (objects, a cross-reference section of the file's own kind, a trailer)
// after the original bytes and reports where placeholders such as /Contents and /ByteRange landed,
// so that a signer can patch them in place.
//
// Reading: Open gives a *File whose embedded *View reads the newest revision; File.Revisions
// lists every revision (End, EOF, Kind, Trailer, Objects) and File.At(i) views revision i.
// View.Object, Resolve and ResolveDict read objects; Locate, ObjectSpan, RawObject and
// SameStorage say where and how an object is stored, for diffing revisions; Catalog, Pages,
// Fields, DocMDP, ID and Version walk the document. File.Decode decodes streams. Repaired and
// Warnings report what had to be corrected.
//
// Writing: File.NewUpdate, then Update.Add, Alloc and Set; copy the original bytes to the output
// and call Update.Append with the offset the update starts at. NewContentsPlaceholder and
// NewByteRangePlaceholder record where they were written; FormatByteRange fills the latter.
// (Append is not named WriteTo because io.WriterTo's signature differs and go vet insists.)
//
// The input is untrusted. The package reads through an io.ReaderAt and never loads a whole file
// into memory; every recursion, decoded stream size, cross-reference chain and object-stream
// nesting is bounded by Options, and malformed input yields a *SyntaxError, never a panic.
//
// It must not: decrypt (encrypted files are reported, not read), render, interpret content
// streams, rewrite or reorder the original bytes, or decide whether a change is permitted — that
// judgement belongs to signing/pades.
package pdf
