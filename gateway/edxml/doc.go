// Package edxml reads and writes edXML packages and status messages, the
// envelope format of QCVN 102:2016 (namespace
// http://www.mic.gov.vn/TBT/QCVN_102_2016) that agencies' document-management
// systems and the national exchange hub use.
//
// The reader is tolerant, because the systems that produce edXML disagree:
// elements are matched on their local name with or without the edXML:
// prefix, dates are accepted in both yyyy/MM/dd and dd/MM/yyyy order (with or
// without a time, or in ISO 8601), "N/A" placeholders and empty elements read
// as empty, and codes are kept exactly as written. It is also bounded: element
// depth, element count, text sizes, the bytes outside attachments, the number
// of recipients and attachments, and the decoded size of attachments all have
// limits, and attachments are decoded as a stream into a caller's sink rather
// than held in memory.
//
// The writer is strict: every element carries the edXML: prefix, dates are
// written as yyyy/MM/dd and timestamps as yyyy/MM/dd HH:mm:ss in Vietnam time
// (UTC+7), and attachments are base64-encoded as they are read.
//
// What this package must not do: it does not verify the XML-DSig Signature in
// the header (it only carries its raw bytes; re-encoding a package changes
// the bytes the signature covers, so a carried signature never verifies
// after Encode), it does not decide whether the sender is the caller or the
// recipients are registered (that is the exchange's job), and it does no
// I/O besides the reader and writer it is handed.
package edxml
