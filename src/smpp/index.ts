/** SMPP 3.4 server for accounts: the listener, its ports, and the codec pieces other layers need. */
export { SmppServer, SmppListenError, type SmppConfig, type SmppServerOptions, type SessionInfo } from './server.js';
export {
  SubmitThrottledError,
  InvalidDestinationError,
  InvalidMessageError,
  type SmppAccount,
  type SmppAccounts,
  type AuthResult,
  type SmppSubmission,
  type SmppSubmitter,
  type DeliverQueue,
  type DeliverItem,
  type DeliverMessage,
  type InboundForSmpp,
  type ReceiptForSmpp,
  type ReceiptState,
} from './ports.js';
export { MAX_PASSWORD as SMPP_MAX_PASSWORD, Status as SmppStatus } from './constants.js';
export { receiptText } from './receipt.js';
export { StoreSubmitter, type StoreSubmitterOptions } from './adapters/store-submitter.js';
export { StoredSmppAccounts, type AccountWithSmppPassword } from './adapters/stored-accounts.js';
export { ForwardDeliverQueue, type ForwardQueueStore } from './adapters/forward-queue.js';
export { receiptFor, receiptForUnsent } from './adapters/receipts.js';
