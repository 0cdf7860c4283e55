import { Secret } from '@provkit/core';
import { describe, expect, it } from 'vitest';
import { sshAuthOrder } from './ssh-auth-order.ts';

describe('sshAuthOrder', () => {
  it('tries the key first, then the agent, then the password, with no none request before them', () => {
    expect(sshAuthOrder({ privateKeyPath: '/k', agent: '/run/agent.sock', password: Secret.of('pw') })).toEqual(['publickey', 'agent', 'password']);
    expect(sshAuthOrder({ privateKey: 'PEM', password: Secret.of('pw') })).toEqual(['publickey', 'password']);
    expect(sshAuthOrder({ password: Secret.of('pw') })).toEqual(['password']);
    expect(sshAuthOrder({ agent: '/run/agent.sock' })).toEqual(['agent']);
  });

  it('sends none only when the target has no credential at all', () => {
    expect(sshAuthOrder({})).toEqual(['none']);
  });
});
