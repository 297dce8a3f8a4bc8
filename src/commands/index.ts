/** Public API of the commands module: keyword parsing, reply templates, the command runner and the client list. */
export { parseCommand, normalizeCommandText, COMMAND_NAMES, type ParsedCommand } from './parser.js';
export {
  TEMPLATE_PRESETS,
  TEMPLATE_PLACEHOLDERS,
  TemplateError,
  renderTemplate,
  resolveTemplates,
  validateTemplates,
  placeholdersOf,
  type TemplateKey,
  type TemplateSet,
  type TemplateLanguage,
} from './templates.js';
export { CommandService, type CommandServiceOptions, type HandleResult, type SenderLimiter } from './service.js';
export {
  addClient,
  removeClient,
  listClients,
  importClients,
  validateClientInput,
  parseOptIn,
  ClientError,
  HIDDEN_PASSWORD,
  type ClientInput,
  type ClientRow,
  type ClientErrorCode,
  type ClientWriteOptions,
  type ImportResult,
} from './clients.js';
export { isOptedOut, optedOutNumbers, setOptIn } from '../store/optout.js';
