/**
 * Deliberately broken OS modules: each is the reference one with one fault. The kit must
 * fail every one of them (broken.test.ts).
 */
import { checkIpAddress, TimeoutError, type AccessOptions, type CreateUserOptions, type CurrentImageInfo, type NodeOperationOptions, type PostLoadOptions, type PreCaptureOptions, type PreCaptureResult, type SetPasswordOptions, type WaitOptions } from '@provkit/core';
import { MemoryOsModule } from '../src/reference/memory-os-module.ts';

/** Always powers off, whatever end state was asked, and says it did what was asked. */
export class PreCaptureIgnoresEndStateOsModule extends MemoryOsModule {
  override async preCapture(options: PreCaptureOptions): Promise<PreCaptureResult> {
    const result = await super.preCapture({ ...options, endState: 'off' });
    return { ...result, endState: options.endState ?? 'off' };
  }
}

/** Creates any user name it is given (the command runs first). */
export class CreateUserAcceptsBadNamesOsModule extends MemoryOsModule {
  override async createUser(options: CreateUserOptions): Promise<void> {
    this.events.emit('command', { target: 'guest', command: `useradd ${options.username}`, exitCode: 0, durationMs: 0 });
    if (/^[a-z_][a-z0-9_-]*$/.test(options.username)) await super.createUser(options);
  }
}

/** Echoes the new password in its command event. */
export class LeaksSecretOsModule extends MemoryOsModule {
  override async setPassword(options: SetPasswordOptions): Promise<void> {
    await super.setPassword(options);
    this.events.emit('command', { target: 'guest', command: `echo ${options.password.reveal()} | chpasswd`, exitCode: 0, durationMs: 0 });
  }
}

/** Tries once and gives up at once instead of waiting out its bound. */
export class WaitGivesUpAtOnceOsModule extends MemoryOsModule {
  override async waitForResponse(options: WaitOptions): Promise<void> {
    try {
      await this.readCurrentImage(options);
    } catch (error) {
      throw new TimeoutError(`SSH on node ${options.node.name}`, options.timeoutMs ?? 0, String(error));
    }
  }
}

/** Records the image but never marks post-load done. */
export class PostLoadNeverDoneOsModule extends MemoryOsModule {
  override async postLoad(options: PostLoadOptions): Promise<void> {
    await super.postLoad(options);
    await this.writeCurrentImage({ node: options.node, info: { image: options.image, properties: {}, postLoadDone: false } });
  }
}

/** Reports its post-load steps only on its own events, not through onProgress. */
export class PostLoadOwnEventsOnlyOsModule extends MemoryOsModule {
  override postLoad(options: PostLoadOptions): Promise<void> {
    const { onProgress: _dropped, ...rest } = options;
    return super.postLoad(rest);
  }
}

/** Lets in a host name or network, not just one address. */
export class GrantAccessAcceptsNamesOsModule extends MemoryOsModule {
  override async grantAccess(options: AccessOptions): Promise<void> {
    try {
      checkIpAddress('remoteIp', options.remoteIp);
    } catch {
      this.events.emit('command', { target: 'guest', command: `allow ${options.remoteIp}`, exitCode: 0, durationMs: 0 });
      return;
    }
    await super.grantAccess(options);
  }
}

/** Reads currentimage.txt's first line only. */
export class CurrentImageDropsPropertiesOsModule extends MemoryOsModule {
  override async readCurrentImage(options: NodeOperationOptions): Promise<CurrentImageInfo | undefined> {
    const read = await super.readCurrentImage(options);
    return read && { ...read, properties: {} };
  }
}
