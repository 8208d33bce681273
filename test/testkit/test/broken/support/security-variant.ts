/**
 * Building blocks for the deliberately broken security plugins: @wharf/security-users and
 * @wharf/security-acl as they are (same options, same files), with the authenticator or
 * authorizer they register wrapped to put one bug in. Their packages' profiles run them.
 */
import { definePlugin, type Authenticator, type Authorizer, type PluginContext, type PluginDefinition } from '@wharf/core';
import aclPlugin, { aclOptionsSchema } from '@wharf/security-acl';
import usersPlugin, { usersOptionsSchema, type UsersOptions } from '@wharf/security-users';

type Wrap<T> = (inner: T, options: Record<string, unknown>) => T;

/** security-users, whose authenticator is `wrap(inner)`. */
export function brokenUsers(bug: string, wrap: Wrap<Authenticator>): PluginDefinition<never> {
  return definePlugin<UsersOptions>({ kind: 'security', name: `broken-users-${bug}`, core: '^0.1.0', optionsSchema: usersOptionsSchema }, (ctx) => {
    usersPlugin.register({ ...ctx, authenticator: (a) => ctx.authenticator(wrap(a as Authenticator, ctx.options as never)) } as PluginContext<UsersOptions>);
  }) as PluginDefinition<never>;
}

/** security-acl, whose authorizer is `wrap(inner)`. */
export function brokenAcl(bug: string, wrap: Wrap<Authorizer>): PluginDefinition<never> {
  return definePlugin({ kind: 'security', name: `broken-acl-${bug}`, core: '^0.1.0', optionsSchema: aclOptionsSchema }, (ctx) => {
    aclPlugin.register({ ...ctx, authorizer: (a: unknown) => ctx.authorizer(wrap(a as Authorizer, ctx.options)) } as never);
  }) as PluginDefinition<never>;
}

/** An authorizer answering `rights`, with the inner one's change hook and start-up check. */
export function authorizerWith(inner: Authorizer, rights: Authorizer['rights']): Authorizer {
  return {
    name: inner.name,
    rights,
    ...(inner.onChange ? { onChange: inner.onChange.bind(inner) } : {}),
    ...(inner.grantsAnything ? { grantsAnything: inner.grantsAnything.bind(inner) } : {}),
  };
}
