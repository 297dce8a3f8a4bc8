/** Public API of the commands module: the handler registry, keyword parsing, reply templates, the command route and the client list. */
export { parseCommand, normalizeCommandText, typedWords, COMMAND_NAMES, COMMAND_PHRASES, type ParsedCommand } from './parser.js';
export {
  CommandRegistry,
  CommandRegistryError,
  type CommandHandler,
  type CommandPattern,
  type CommandMatch,
  type CommandPlan,
  type CommandContext,
} from './registry.js';
export { clientCommands, type ClientCommandDeps } from './client-commands.js';
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
export { CommandService, COMMAND_ROUTE, type CommandServiceOptions, type HandleResult, type SenderLimiter } from './service.js';
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
