/**
 * The seeds' promise — an acknowledgement within 2 minutes of the customer's SMS — when the modem
 * wedges in the middle of the acknowledgement's send (issue 9 item 3).
 *
 * Real server in-process, simulated modem behind a real pseudo-terminal, default timeouts (the
 * generic profile's 60 s send timeout, `unknownResendSeconds` 60). The modem swallows the ack's PDU
 * and stays silent for 20 s: the send ends `unknown` after the send timeout; a reply is re-sent as
 * soon as the modem answers the supervisor's probe again, not after `unknownResendSeconds`.
 * Prints the measured time from the customer's SMS to the ack's second `AT+CMGS`.
 */
import { afterEach, expect, it } from 'vitest';
import { waitFor, type Harness } from '../helpers/harness.js';
import { ACK, IVANOV, IVANOV_INFO, startWithClients } from '../e2e/customer-helpers.js';

const HANG_MS = 20_000;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('an ack whose first send is swallowed by a 20 s hang reaches the modem again well inside 2 minutes', async () => {
  h = await startWithClients([IVANOV]);
  const cmgs: number[] = [];
  h.sim.modem.on('command', (line: string) => {
    if (/^AT\+CMGS=/i.test(line)) cmgs.push(Date.now());
  });
  h.sim.modem.faults.hangOnNextSend(HANG_MS);

  const smsAt = Date.now();
  h.sim.modem.injectSms(IVANOV.phone, 'CLIENT info');
  const ack = await waitFor(() => h!.sim.modem.sent.find((s) => s.text === ACK), 'the acknowledgement on the modem', 150_000, 200);
  const secondCmgsMs = cmgs[1]! - smsAt;
  const ackSentMs = Date.parse(ack.at) - smsAt;
  console.log(
    `ACK AFTER HANG: customer SMS → ack's first AT+CMGS ${cmgs[0]! - smsAt} ms, → second AT+CMGS ${secondCmgsMs} ms, → ack accepted ${ackSentMs} ms (hang ${HANG_MS} ms, send timeout 60 s)`,
  );
  // The first AT+CMGS is the ack swallowed by the hang; the second is its re-send.
  expect(cmgs.length).toBeGreaterThanOrEqual(2);
  // Before: 60 s send timeout + 60 s unknownResendSeconds = 121 s. Now: the send timeout and one probe.
  expect(secondCmgsMs).toBeLessThan(90_000);

  // The credentials follow; the duplicate the re-send may be is bounded (one) and counted.
  await waitFor(() => h!.sim.modem.sent.find((s) => s.text === IVANOV_INFO), 'the credentials reply', 30_000);
  const jobs = await h.server!.store.listJobs({ limit: 10 });
  const ackJob = jobs.find((j) => j.priority === 'reply' && !j.sealed)!;
  expect(ackJob).toMatchObject({ state: 'sent', duplicates: 1, attempts: 2 });
  expect(ackJob.lastError).toMatch(/AtTimeoutError/);
  expect(h.sim.modem.sent.filter((s) => s.text === ACK)).toHaveLength(1);
}, 200_000);
