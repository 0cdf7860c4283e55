/**
 * Deliberately broken provisioners: each is the reference one with one fault an
 * implementer could plausibly make. The kit must fail every one of them (broken.test.ts).
 */
import {
  ProvkitError,
  checkImageName,
  ImageExistsError,
  ImageInUseError,
  NodeNotFoundError,
  ProgressReporter,
  throwIfAborted,
  type CaptureOptions,
  type CaptureResult,
  type DeleteImageResult,
  type ImageOperationOptions,
  type LoadOptions,
  type LoadResult,
  type NodeOperationOptions,
  type NodeStatusOptions,
  type NodeStatusResult,
  type PowerOffOptions,
  type PowerState,
  type ProgressEvent,
} from '@provkit/core';
import { MemoryProvisioner } from '../src/reference/memory-provisioner.ts';

/** Says it captured, stores nothing. */
export class NoOpCaptureProvisioner extends MemoryProvisioner {
  override async capture(options: CaptureOptions): Promise<CaptureResult> {
    return { image: checkImageName('image', options.image), sizeBytes: 1, virtualBytes: 1, durationMs: 0 };
  }
}

/** Every capture "finds" the image name taken. */
export class CaptureAlwaysExistsProvisioner extends MemoryProvisioner {
  override async capture(options: CaptureOptions): Promise<CaptureResult> {
    throw new ImageExistsError(checkImageName('image', options.image));
  }
}

/** Unload only powers the node off: it stays defined. */
export class UnloadOnlyPowersOffProvisioner extends MemoryProvisioner {
  override async unload(options: NodeOperationOptions): Promise<void> {
    if (this.host.nodes.has(options.node.name)) await this.powerOff({ ...options, mode: 'hard' });
  }
}

/** Notices an abort only after the load finished, and leaves the loaded node behind. */
export class AbortLeavesNodeProvisioner extends MemoryProvisioner {
  override async load(options: LoadOptions): Promise<LoadResult> {
    const { signal, ...rest } = options;
    const result = await super.load(rest);
    throwIfAborted(signal, 'load');
    return result;
  }
}

/** deleteImage answers like the contract says, but removes nothing. */
export class DeleteImageNoOpProvisioner extends MemoryProvisioner {
  override async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    const image = checkImageName('image', options.image);
    if (!this.host.images.has(image)) return { deleted: false };
    if (this.host.usersOf(image).length > 0) throw new ImageInUseError(image, this.host.usersOf(image));
    return { deleted: true };
  }
}

/** deleteImage removes an image nodes still depend on. */
export class DeleteInUseProvisioner extends MemoryProvisioner {
  override async deleteImage(options: ImageOperationOptions): Promise<DeleteImageResult> {
    const image = checkImageName('image', options.image);
    return { deleted: this.host.images.delete(image) };
  }
}

/** powerOff returns without doing anything. */
export class PowerOffLiesProvisioner extends MemoryProvisioner {
  override async powerOff(options: PowerOffOptions): Promise<void> {
    await this.powerStatus(options);
  }
}

/** powerOn returns without doing anything. */
export class PowerOnNoOpProvisioner extends MemoryProvisioner {
  override async powerOn(options: NodeOperationOptions): Promise<void> {
    await this.powerStatus(options);
  }
}

/** Refuses every existing node, as if `ifExists: 'refuse'` were the default. */
export class LoadRefusesExistingProvisioner extends MemoryProvisioner {
  override load(options: LoadOptions): Promise<LoadResult> {
    return super.load({ ...options, ifExists: 'refuse' });
  }
}

/** Replaces a node provkit did not create. */
export class ReplacesUnmanagedProvisioner extends MemoryProvisioner {
  override load(options: LoadOptions): Promise<LoadResult> {
    const existing = this.host.nodes.get(options.node.name);
    if (existing) existing.managed = true;
    return super.load(options);
  }
}

/** nodeStatus ignores the OS module given per call (it has none of its own). */
export class NodeStatusIgnoresOsModuleProvisioner extends MemoryProvisioner {
  override nodeStatus(options: NodeStatusOptions): Promise<NodeStatusResult> {
    const { osModule: _ignored, ...rest } = options;
    return super.nodeStatus(rest);
  }
}

/** Says `domain-defined` (libvirt's word) instead of the contract's `node-defined`. */
export class WrongProgressStepsProvisioner extends MemoryProvisioner {
  protected override progress(operation: string, subject: { node?: string; image?: string }, onProgress?: (event: ProgressEvent) => void): ProgressReporter {
    const reporter = super.progress(operation, subject, onProgress);
    return Object.assign(Object.create(reporter) as ProgressReporter, { step: (step: string, detail?: string) => reporter.step(step === 'node-defined' ? 'domain-defined' : step, detail) });
  }
}

/** Keeps the OS module's post-load sub-steps from the load's onProgress. */
export class DropsSubStepsProvisioner extends MemoryProvisioner {
  override load(options: LoadOptions): Promise<LoadResult> {
    const { onProgress } = options;
    return super.load({ ...options, ...(onProgress ? { onProgress: (event: ProgressEvent) => event.operation === 'load' && onProgress(event) } : {}) });
  }
}

/** Each load runs on its own provisioner instance, so nothing serializes two loads of one node. */
export class UnserializedLoadsProvisioner extends MemoryProvisioner {
  override load(options: LoadOptions): Promise<LoadResult> {
    return new MemoryProvisioner({ host: this.host }).load(options);
  }
}

/** Captures leave the node off whatever end state was asked. */
export class IgnoresEndStateProvisioner extends MemoryProvisioner {
  override capture(options: CaptureOptions): Promise<CaptureResult> {
    return super.capture({ ...options, endState: 'off' });
  }
}

/** Reports the start of a load before checking its input. */
export class ValidatesLateProvisioner extends MemoryProvisioner {
  override load(options: LoadOptions): Promise<LoadResult> {
    this.events.emit('command', { target: 'memory-host', command: `lookup ${String(options.node.name)}`, exitCode: 0, durationMs: 0 });
    return super.load(options);
  }
}

/** doesImageExist as BaseProvisioner's old default: no validation, no signal. */
export class UncheckedImageLookupProvisioner extends MemoryProvisioner {
  override async doesImageExist(options: ImageOperationOptions): Promise<boolean> {
    return this.host.images.has(options.image);
  }
}

/** powerStatus calls a node that does not exist "off". */
export class AbsentIsOffProvisioner extends MemoryProvisioner {
  override async powerStatus(options: NodeOperationOptions): Promise<PowerState> {
    try {
      return await super.powerStatus(options);
    } catch (error) {
      if (error instanceof NodeNotFoundError) return 'off';
      throw error;
    }
  }
}

/** An abort is reported as a plain failure, not ABORTED. */
export class AbortNotTypedProvisioner extends MemoryProvisioner {
  override async load(options: LoadOptions): Promise<LoadResult> {
    try {
      return await super.load(options);
    } catch (error) {
      if (ProvkitError.reasonCode(error) === 'ABORTED') throw new Error('load stopped');
      throw error;
    }
  }
}
