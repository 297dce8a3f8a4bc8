/**
 * The SIM's own number (route `number`, inbox `to`): `AT+CNUM` parsed in its field forms, and asked
 * of the simulated modem over the real serial path — with the number on the SIM and without.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AtEngine, engineOptionsFromProfile } from '../../src/at/index.js';
import { ModemDriver } from '../../src/modem/driver.js';
import { parseCnum } from '../../src/modem/parse.js';
import { loadProfile } from '../../src/modem/profile.js';
import { startSimulatorOnPty, type RunningSimulator } from '../../src/sim/index.js';
import { SerialTransport } from '../../src/transport/index.js';

describe('parseCnum', () => {
  it.each([
    [['+CNUM: "","+79990000001",145'], '+79990000001'],
    [['+CNUM: "Own number","79990000001",145,7,4'], '+79990000001'],
    [['+CNUM: ,"89990000001",129'], '89990000001'],
    [['+CNUM: "Fax","",129', '+CNUM: "Voice","+34612345678",145'], '+34612345678'],
    [['+CNUM: ,"",129'], undefined],
    [[], undefined],
  ])('%j → %s', (lines, want) => {
    expect(parseCnum(lines)).toBe(want);
  });
});

let sim: RunningSimulator | undefined;
let transport: SerialTransport | undefined;
afterEach(async () => {
  await transport?.close().catch(() => undefined);
  await sim?.close();
  sim = transport = undefined;
});

async function ask(ownNumber?: string): Promise<string | undefined> {
  sim = await startSimulatorOnPty({ profile: 'generic', bootDelayMs: 0, ...(ownNumber ? { ownNumber } : {}) });
  transport = new SerialTransport({ path: sim.path });
  await transport.open();
  const profile = loadProfile('generic');
  const driver = new ModemDriver(new AtEngine(transport, engineOptionsFromProfile(profile)), profile);
  await driver.init();
  try {
    return await driver.ownNumber();
  } finally {
    driver.dispose();
  }
}

describe('ModemDriver.ownNumber on a pseudo-terminal', () => {
  it('reads the number a SIM stores', async () => {
    expect(await ask('+79990000001')).toBe('+79990000001');
  });
  it('is undefined when the SIM does not know it (an empty AT+CNUM answer)', async () => {
    expect(await ask()).toBeUndefined();
  });
});
