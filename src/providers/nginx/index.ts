// The nginx provider: public entry points.
export { adoptedStub, createNginxProvider, readOwned, resolveNginxPaths, probeTarget } from "./provider.js";
export type { NginxProvider, NginxProviderOptions, NginxUndo, NginxPaths } from "./provider.js";
export { diffNginx } from "./diff.js";
export type { NginxActual } from "./diff.js";
export { initNginxPrefix, startNginx, stopNginx, runNginx, workerPids, workerStillServing, readMasterPid, STREAM_MODULE_PATH } from "./run.js";
export type { NginxPrefixFiles, RunningNginx, NginxCommandResult } from "./run.js";
