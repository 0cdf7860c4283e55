export type { OsModuleV1, OsModuleCapabilitiesV1, WaitOptions, PostLoadOptions, WriteCurrentImageOptions } from './os-module-v1.ts';
export type { EndState, GeneralizationReportEntry, PreCaptureOptions, PreCaptureResult, OperationReport } from './pre-capture.ts';
export type { CurrentImageInfo } from './current-image.ts';
export type { AccessOptions, CreateUserOptions, DeleteUserOptions, RandomizedPasswords, SetPasswordOptions } from './access.ts';
export { BaseOsModule } from './base-os-module.ts';
export { parseCurrentImageText, formatCurrentImageText, postLoadRecord, type FormatCurrentImageOptions } from './current-image-text.ts';
