// Package storetest holds the conformance suites that every implementation of
// docgate's storage interfaces must pass: TestStore for gateway.Store (the
// metadata store), the blob-store suite beside it and TestFilePutter for the
// blob stores that also take a local file. Each implementation's own test file
// calls the suite with a function that opens an isolated, empty store, so that
// SQLite and PostgreSQL are held to the same behaviour, including the error
// codes callers branch on.
//
// The suites state behaviour that callers may rely on beyond what the
// interface comments say: stores keep times in UTC to the microsecond
// (PostgreSQL's precision), and concurrent writers in one process never fail
// because another writer holds a lock.
//
// This package is imported only by tests. It must not hold fixtures that
// depend on one implementation, and it must not reach into a store's tables:
// everything it checks goes through the interface. Like the stores, it
// imports only package gateway: a suite that needs a use case, such as the
// push workers of TestDeliveryReplicas, has it handed in by the store's test.
package storetest
