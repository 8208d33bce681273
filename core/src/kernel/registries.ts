/**
 * Registries gather every implementation of a kind that the plugins registered in one broker's
 * container (`@injectAll`), and refuse two implementations under one name.
 */
import { injectable, injectAll } from 'tsyringe';
import { ErrorCodes, WharfError } from '../errors.js';
import { Tokens } from '../spi/tokens.js';
import type { QueueType } from '../spi/queue.js';
import type { Authenticator, Authorizer } from '../spi/security.js';
import type { ProtocolAdapter } from '../spi/protocol.js';
import type { Store } from '../spi/store.js';

function byName<T>(items: readonly T[], nameOf: (item: T) => string, what: string): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const name = nameOf(item);
    if (map.has(name)) {
      throw new WharfError(ErrorCodes.PLUGIN_CONFLICT, `two plugins provide the ${what} ${name}`, {
        hint: `remove one of them from plugins; each ${what} name must be unique`, details: { name },
      });
    }
    map.set(name, item);
  }
  return map;
}

@injectable()
export class QueueTypeRegistry {
  readonly types: ReadonlyMap<string, QueueType>;
  constructor(@injectAll(Tokens.QueueType, { isOptional: true }) types: QueueType[]) {
    this.types = byName(types ?? [], (t) => t.type, 'queue type');
  }
}

@injectable()
export class SecurityRegistry {
  readonly authenticators: readonly Authenticator[];
  readonly authorizers: readonly Authorizer[];
  constructor(
    @injectAll(Tokens.Authenticator, { isOptional: true }) authenticators: Authenticator[],
    @injectAll(Tokens.Authorizer, { isOptional: true }) authorizers: Authorizer[],
  ) {
    this.authenticators = authenticators ?? [];
    this.authorizers = authorizers ?? [];
  }
}

@injectable()
export class ProtocolRegistry {
  readonly adapters: ReadonlyMap<string, ProtocolAdapter>;
  constructor(@injectAll(Tokens.ProtocolAdapter, { isOptional: true }) adapters: ProtocolAdapter[]) {
    this.adapters = byName(adapters ?? [], (a) => a.protocol, 'protocol');
  }
}

@injectable()
export class StoreRegistry {
  readonly stores: ReadonlyMap<string, Store>;
  constructor(@injectAll(Tokens.Store, { isOptional: true }) stores: Store[]) {
    this.stores = byName(stores ?? [], (s) => s.name, 'store');
  }
}
