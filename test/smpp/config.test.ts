import { describe, expect, it } from 'vitest';
import { DEFAULTS, validateConfig } from '../../src/config/config.js';

describe('smpp config section', () => {
  it('has the documented defaults: off, loopback, port 2775, 4 sessions per account, window 10', () => {
    expect(DEFAULTS.smpp).toMatchObject({ enabled: false, host: '127.0.0.1', port: 2775, maxSessionsPerAccount: 4, windowSize: 10 });
  });

  it('names a misspelt key and a value of the wrong form', () => {
    expect(() => validateConfig({ smpp: { windowsize: 5 } }, 'cfg.json')).toThrow(/unknown key "smpp.windowsize" \(known keys under "smpp": enabled, host, port, maxSessionsPerAccount, windowSize/);
    expect(() => validateConfig({ smpp: { port: 70000 } }, 'cfg.json')).toThrow(/"smpp.port" must be a whole number from 0 to 65535, got 70000/);
    expect(() => validateConfig({ smpp: { longMessages: 'sar' } }, 'cfg.json')).toThrow(/"smpp.longMessages" must be one of "udh", "payload"/);
    expect(validateConfig({ smpp: { enabled: true, windowSize: 20 } })).toEqual({ smpp: { enabled: true, windowSize: 20 } });
  });
});
