/**
 * The provkit lab from Node: bring real peers up on loopback and read how to reach them.
 * See `lab/README.md` for the services, where their state lives and how to add one.
 */
export { labCache, labDir, labRoot } from './paths.ts';
export { ensureLabService, isLabServiceUp, labServicePackages, labServices, readLabState, stopLabService } from './services.ts';
export type { SshdLabState } from './sshd.ts';
export { restartLabLibvirtd, type KvmGuestLabState, type LibvirtLabState, type RestartLabLibvirtdOptions } from './libvirt.ts';
export { releaseClones, setClonePlan, type ClonePlan, type VcsimLabState } from './vcsim.ts';
export { execInDebianRoot, resetDebianRoot, type DebianRootLabState } from './debian-root.ts';
export type { SlapdLabState } from './slapd.ts';
export { restartLabRedis, type RedisLabState, type RestartLabRedisOptions } from './redis.ts';
export type { ChromiumLabState } from './chromium.ts';
export { freeLoopbackPort, labKvmSettings, prepareKvmRun, writeKvmProvkitConfig, type KvmRun } from './kvm-run.ts';
export { median, printTable, type BenchRow } from './bench-table.ts';
export { firstStdoutLine, jsonLines, type JsonLines } from './child-lines.ts';
export { faultRow, faultRowLine, printFaultTable, runFaultRows, selectFaultCases, type FaultRow, type FaultSelection } from './fault-table.ts';
export { faultRowSummary, runFaultMatrices, runFaultMatrixFile, type FaultMatrix } from './fault-matrices.ts';
export { faultMatrixSuite, type FaultSuiteTest } from './fault-matrix-suite.ts';
