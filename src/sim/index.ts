/** The simulated modem (tests, `simulate`, `serve --simulate`); never imported by production paths. */
export { SimulatedModem, SimInputError, type SimulatedModemOptions, type InjectSmsOptions } from './modem.js';
export type { SentSms, SentMessage } from './sent.js';
export { groupSent } from './sent.js';
export type { SimFaults } from './faults.js';
export type { StoredSlot, MemoryName, SmsStatus } from './storage.js';
export { startSimulatorOnPty, type SimulatorOnPtyOptions, type RunningSimulator } from './on-pty.js';
export {
  SimControlClient,
  startControlServer,
  handleControlRequest,
  ControlRequestError,
  type ControlRequest,
  type ControlReply,
  type ControlTarget,
} from './control.js';
export { runSimulateCommand, type SimulateCommandOptions } from './simulate-command.js';
export { PtyBridge } from './pty.js';
