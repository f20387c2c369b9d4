import { createParamDecorator, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Account, Role } from '@doppel/accounts';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { KeyAuthenticator } from './key-authenticator.service';

const PUBLIC_ROUTE = 'doppel:public-route';
const REQUIRED_ROLE = 'doppel:required-role';
/** Marks a route that needs no API key (health, signup). */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);
/** Marks a route only accounts holding this role may call (403 FORBIDDEN otherwise). */
export const RequireRole = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

type AuthenticatedRequest = Request & { account?: Account };

export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1] ?? null;
}

/** Every route needs `Authorization: Bearer <api key>` unless marked @PublicRoute(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: KeyAuthenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const account = (await this.keys.authenticate(bearerToken(request.headers.authorization)))?.account;
    if (!account) {
      throw new DoppelError(ErrorCode.Unauthenticated, 'Send a valid API key as "Authorization: Bearer dpl_…" (create one with POST /accounts).');
    }
    const role = this.reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (role && !account.roles.includes(role)) {
      throw new DoppelError(ErrorCode.Forbidden, `This route is for accounts with the ${role} role.`);
    }
    request.account = account;
    return true;
  }
}

export const CurrentAccount = createParamDecorator((_: unknown, context: ExecutionContext): Account => {
  const account = context.switchToHttp().getRequest<AuthenticatedRequest>().account;
  if (!account) throw new DoppelError(ErrorCode.Unauthenticated, 'This route needs an API key.');
  return account;
});
