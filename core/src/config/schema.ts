/**
 * The JSON Schema of the broker config (BrokerConfig in spi/config.ts), the first of three layers
 * of checks: this schema, then cross-references (queue types and protocols named by the config
 * exist), then each plugin's own options schema.
 *
 * Every property has a `description`: it is the hint shown when the value there is wrong, so write
 * it for the person fixing the file. Every optional property has a `default`, so validating `{}`
 * yields a complete config. docs/configuration.md documents the same keys; keep the two in step.
 */
import type { JsonSchema } from '../spi/plugin.js';

const pluginEntry: JsonSchema = {
  description:
    'a plugin: a package name ("@wharf/queue-topic"), a path relative to the config file ("./plugins/mine.js"), ' +
    'or { use: <name or path>, options: { ... } }',
  anyOf: [
    { type: 'string', minLength: 1, description: 'a package name or a path relative to the config file' },
    {
      type: 'object',
      description: 'a plugin with options: { use: <name or path>, options: { ... } }',
      required: ['use'],
      properties: {
        use: {
          description: 'the plugin: a package name, a path relative to the config file, or (in a JS config) a definition',
          anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }],
        },
        options: {
          type: 'object',
          description: "the plugin's options, checked against the plugin's own schema",
        },
      },
      additionalProperties: false,
    },
    {
      // A definition made with definePlugin(), passed directly by a programmatic (JS) config.
      type: 'object',
      description: 'a plugin definition made with definePlugin() (JS configs only)',
      required: ['kind', 'name', 'register'],
    },
  ],
};

const tlsSettings: JsonSchema = {
  type: 'object',
  description: 'TLS certificate and key (PEM files, paths relative to the config file); required when transport is tls',
  required: ['cert', 'key'],
  properties: {
    cert: { type: 'string', minLength: 1, description: 'path of the PEM certificate (chain), relative to the config file' },
    key: { type: 'string', minLength: 1, description: 'path of the PEM private key, relative to the config file' },
    ca: { type: 'string', minLength: 1, description: 'path of the PEM CA bundle that client certificates are checked against' },
    requestCert: { type: 'boolean', description: 'ask clients for a certificate and verify it against ca' },
  },
  additionalProperties: false,
};

const listener: JsonSchema = {
  type: 'object',
  description: 'a listener: { protocol: stomp, port: 61613 } opens a port speaking that protocol',
  required: ['protocol', 'port'],
  properties: {
    protocol: {
      type: 'string',
      minLength: 1,
      description: 'the protocol spoken on this port (a protocol plugin must provide it), e.g. stomp',
    },
    transport: {
      enum: ['tcp', 'tls', 'ws'],
      default: 'tcp',
      description: 'tcp (plain), tls (needs the tls settings) or ws (WebSocket; over TLS when tls is set)',
    },
    host: {
      type: 'string',
      minLength: 1,
      default: '127.0.0.1',
      description: 'the address to listen on; 127.0.0.1 is this machine only, 0.0.0.0 is every interface',
    },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'the TCP port, 0 to 65535 (0 picks a free port)' },
    path: { type: 'string', pattern: '^/', description: 'the WebSocket path, starting with "/" (transport ws only)' },
    tls: tlsSettings,
    options: {
      type: 'object',
      default: {},
      description: "settings for the protocol adapter, checked against the adapter's own schema",
    },
  },
  additionalProperties: false,
  // transport: tls without certificates cannot work: say so now rather than at the first connection.
  if: { properties: { transport: { const: 'tls' } }, required: ['transport'] },
  then: { required: ['tls'], description: 'transport tls needs certificates: add tls: { cert: <file>, key: <file> }' },
};

const routingRule: JsonSchema = {
  type: 'object',
  description: 'a routing rule: destinations whose name matches the regular expression `match` get queue type `type`',
  required: ['match', 'type'],
  properties: {
    match: {
      type: 'string',
      format: 'regex',
      description: 'a JavaScript regular expression searched for in the destination name (anchor it with ^ and $ to match the whole name), e.g. "^/jobs/.+"',
    },
    type: { type: 'string', minLength: 1, description: 'the queue type of matching destinations, e.g. queue or topic' },
    options: {
      type: 'object',
      description: "settings for destinations this rule creates, checked against the queue type's own schema",
    },
  },
  additionalProperties: false,
};

export const DEFAULT_PREFIXES: Readonly<Record<string, string>> = Object.freeze({
  '/queue/': 'queue',
  '/pubsub/': 'pubsub',
  '/command/': 'command',
});

/** The broker config's JSON Schema (draft-07, as ajv compiles it by default). */
export const brokerConfigSchema: JsonSchema = {
  title: 'Wharf broker configuration',
  description: 'the Wharf broker configuration (docs/configuration.md)',
  type: 'object',
  properties: {
    $schema: { type: 'string', description: 'the JSON Schema editors use for this file; Wharf ignores it' },
    plugins: {
      type: 'array',
      default: [],
      description:
        'plugins to load, in order: package names, paths relative to the config file, or { use, options }',
      items: pluginEntry,
    },
    listeners: {
      type: 'array',
      default: [],
      description: 'the ports the broker listens on; none means the broker is reachable only in-process',
      items: listener,
    },
    routing: {
      type: 'object',
      default: {},
      description: 'how destination names map to queue types: rules first, then prefixes, then the fallback',
      properties: {
        rules: {
          type: 'array',
          default: [],
          description: 'rules tried in order before the prefixes; the first whose regular expression matches the name wins',
          items: routingRule,
        },
        prefixes: {
          type: 'object',
          default: { ...DEFAULT_PREFIXES },
          description: 'name prefix -> queue type, e.g. "/queue/": queue; the longest matching prefix wins',
          additionalProperties: { type: 'string', minLength: 1, description: 'the queue type for names with this prefix' },
        },
        fallback: {
          type: 'string',
          minLength: 1,
          default: 'topic',
          description: 'the queue type for names no rule or prefix matched, or "reject" to refuse them',
        },
        cacheSize: {
          type: 'integer',
          minimum: 0,
          default: 10000,
          description: 'how many routing decisions are cached (0 turns the cache off)',
        },
      },
      additionalProperties: false,
    },
    pubsub: {
      type: 'object',
      default: {},
      description: 'pubsubs created at start: name -> { children: [destination names] }',
      additionalProperties: {
        type: 'object',
        description: 'a pubsub: { children: [destination names] }',
        properties: {
          children: {
            type: 'array',
            default: [],
            description: 'the destinations every message sent to this pubsub is copied to',
            items: { type: 'string', minLength: 1, description: 'a destination name' },
          },
        },
        additionalProperties: false,
      },
    },
    security: {
      type: 'object',
      default: {},
      description: 'who may connect and what they may do',
      properties: {
        allowAnonymousRemote: {
          type: 'boolean',
          default: false,
          description: 'let clients from other machines connect without credentials (unsafe; for closed networks only)',
        },
      },
      additionalProperties: false,
    },
    store: {
      type: 'object',
      default: {},
      description:
        'where durable messages (persistent:true, or a destination with durable: true) are kept: { use: <store name> } ' +
        'names a loaded store plugin; with no store plugin they are kept in memory only and lost on restart (docs/durability.md)',
      properties: {
        use: {
          type: 'string',
          minLength: 1,
          description: 'the store, by the name its plugin gives it: sqlite (plugin @wharf/store-sqlite) or memory (@wharf/store-memory); unset: the only store plugin loaded',
        },
        groupCommit: {
          type: 'boolean',
          default: true,
          description: 'write the durable messages of one turn of the event loop in one transaction (true); false writes one transaction per message, for benchmarks only',
        },
        pageDirectory: {
          type: 'string',
          minLength: 1,
          description: 'where queues whose backlog passed their share of memory page messages out (one spill file per queue, removed at stop and at the next start; relative to the config file); default: the OS temp directory. Used only with a store (docs/flow-control.md)',
        },
      },
      additionalProperties: false,
    },
    limits: {
      type: 'object',
      default: {},
      description: 'limits that protect the broker from runaway clients',
      properties: {
        maxDestinationLength: {
          type: 'integer',
          minimum: 1,
          default: 1024,
          description: 'the longest destination name accepted, in characters',
        },
        maxTransactionSize: {
          type: 'integer',
          minimum: 1,
          default: 10000,
          description: 'the most operations buffered in one transaction',
        },
        maxTransactions: {
          type: 'integer',
          minimum: 1,
          default: 100,
          description: 'the most open transactions per session',
        },
        memoryHighWaterMark: {
          type: 'integer',
          minimum: 0,
          description:
            'resident memory of the broker, in bytes, at which it stops reading from clients that publish until consumers catch up ' +
            '(flow control; nothing is dropped); default: 40% of the machine\'s memory, at most half of V8\'s heap limit; 0 turns it off',
        },
        inputBufferBytes: {
          type: 'integer',
          minimum: 65536,
          description:
            'the most bytes all connections together may hold in frames they have not finished sending (headers and bodies read so far); ' +
            'a connection past it waits until room frees, or gets an error when nothing could free room or it has not logged in; ' +
            'default: 256 MiB, or a quarter of memoryHighWaterMark when that is smaller (docs/security.md "Input limits")',
        },
        memoryLowWaterMark: {
          type: 'integer',
          minimum: 0,
          description: 'memory, in bytes, below which publishers are read again; default: 80% of memoryHighWaterMark',
        },
        connections: {
          type: 'object',
          default: {},
          description: 'connection limits per remote address and per state, for every listener and protocol (docs/security.md#connection-limits)',
          properties: {
            perAddress: {
              type: 'integer',
              minimum: 1,
              default: 1000,
              description: 'the most open connections from one remote address (IPv6: one /64), on all listeners together; more are closed at once',
            },
            unauthenticatedPerAddress: {
              type: 'integer',
              minimum: 1,
              default: 32,
              description: 'the most connections from one remote address that have not logged in yet, on all listeners together',
            },
            unauthenticatedPerListener: {
              type: 'integer',
              minimum: 1,
              default: 1000,
              description: 'the most connections on one listener that have not logged in yet, from all addresses together',
            },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
    log: {
      type: 'object',
      default: {},
      description: 'logging',
      properties: {
        level: {
          enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
          default: 'info',
          description: 'the least severe level logged',
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};
