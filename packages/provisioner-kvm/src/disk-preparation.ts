import { ImageNotFoundError, sh, type SizeSpec } from '@provkit/core';
import type { HostLocks } from './host-lock.ts';
import type { ImageLibrary } from './image-library.ts';
import { imageLockPath } from './intent-record.ts';
import type { KvmHost } from './kvm-host.ts';
import { isCommandFailure } from './translation/host-failure.ts';

/** What {@link prepareNodeDisk} works with. */
export interface DiskPreparationContext {
  host: KvmHost;
  hostLocks: HostLocks;
  library: ImageLibrary;
  /** Bound on the wait for the image's host lock. */
  lockTimeoutMs: number;
  /** Runs `task` under this process's mutex on the image (beside the host lock other processes see). */
  serialize: (task: () => Promise<void>) => Promise<void>;
}

/** One node disk to make. */
export interface DiskPreparation {
  image: string;
  libraryPath: string;
  diskPath: string;
  diskMode: 'linked' | 'full';
  imageBytes: number;
  size: SizeSpec;
  call: { signal: AbortSignal | undefined; timeoutMs: number };
}

const NO_IMAGE_EXIT = 76;
const NO_IMAGE_MARKER = 'provkit: no library image';

/** The disk command stopped before writing anything; `cause` is the typed reason. Internal to load: it undoes nothing for it. */
export class DiskNotStarted extends Error {
  override readonly cause: Error;
  constructor(cause: Error) {
    super(cause.message);
    this.cause = cause;
  }
}

/**
 * Makes the node's disk from the library image in one host command: the image's shared host
 * lock (the command's own, let go when it exits or is killed), the check that the image is
 * still there under it, then the overlay or the full copy. Four round trips before (take the
 * lock, check, write, let go); each failure keeps its own type: a busy lock is
 * `ResourceBusyError` and a missing image `ImageNotFoundError`, both thrown as the cause of a
 * {@link DiskNotStarted} (nothing was written).
 */
export async function prepareNodeDisk(context: DiskPreparationContext, options: DiskPreparation): Promise<void> {
  const { host, hostLocks, library } = context;
  const { image, libraryPath, diskPath, size, imageBytes } = options;
  const what = `image ${image}`;
  const waitMs = context.lockTimeoutMs;
  const lock = hostLocks.commandLock(imageLockPath(library.directory, image), { mode: 'shared', waitMs });
  const before = sh`${lock}test -f ${libraryPath} || { echo ${NO_IMAGE_MARKER} >&2; exit ${String(NO_IMAGE_EXIT)}; }
`;
  const missing = (): ImageNotFoundError => new ImageNotFoundError(image, library.where);
  // The lock's wait is part of this command's time.
  const call = { ...options.call, timeoutMs: options.call.timeoutMs + waitMs, before, missing };
  const grow = size.diskBytes !== undefined && size.diskBytes > imageBytes ? size.diskBytes : undefined;
  return context.serialize(async () => {
    try {
      if (options.diskMode === 'linked') await host.createOverlay(libraryPath, diskPath, grow, call);
      else await host.convert(libraryPath, diskPath, call);
    } catch (error) {
      const busy = hostLocks.busyError(error, what, waitMs);
      if (busy) throw new DiskNotStarted(busy);
      if (isCommandFailure(error, NO_IMAGE_EXIT, NO_IMAGE_MARKER)) throw new DiskNotStarted(missing());
      throw error;
    }
    // Growing the node's own copy needs no lock on the image.
    if (options.diskMode === 'full' && grow !== undefined) await host.resize(diskPath, grow, options.call);
  });
}
