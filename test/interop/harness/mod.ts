// Interop harness for test/interop/*_test.ts: the peer launchers of src/lab/
// (the product's `anycast demo --peer` and the benchmarks use them too) plus
// the test-only helpers that register tests or fail them under CI.
export * from "../../../src/lab/mod.ts";
export {
  interopTest,
  type InteropTestDefinition,
  requireBinaries,
  requireDaemon,
} from "./require_daemon.ts";
