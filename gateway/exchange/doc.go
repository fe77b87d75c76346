// Package exchange holds the use cases of the document exchange: submit,
// inbox, fetch, acknowledge, report status, recall, and the trail of signed
// receipts that records each step.
//
// It decides who may do what with a document (the sender, its recipients,
// auditors; anyone else is told the document does not exist), applies the
// signature policy before anything is stored, and turns every step into an
// event with a receipt, written in the same transaction as the change it
// proves. It talks to storage and signing only through gateway interfaces
// and gateway/evidence; it must not know about HTTP or SQL.
package exchange
