import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountsService, type Account, type CreatedAccount } from '@doppel/accounts';
import { isUuid } from '@doppel/db';
import { ACCOUNT_ROLES, DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount, PublicRoute, RequireRole } from '../auth/api-key.guard';
import { KeyAuthenticator } from '../auth/key-authenticator.service';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const createAccountSchema = z.strictObject({ displayName: z.string().trim().min(1).max(100) });
const operatorCreateSchema = createAccountSchema.extend({
  roles: z.array(z.enum(ACCOUNT_ROLES)).min(1).max(ACCOUNT_ROLES.length).default(['consumer', 'creator']),
});

function accountId(id: string): string {
  if (!isUuid(id)) throw new DoppelError(ErrorCode.AccountNotFound, `Account ${id} does not exist.`);
  return id;
}

@ApiTags('accounts')
@Controller()
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly keys: KeyAuthenticator,
  ) {}

  /** Issues the new key and makes every gateway drop the old one (and its open sockets) before answering. */
  private async rotateKey(accountId: string): Promise<CreatedAccount> {
    const { account, replacedKeyPrefix } = await this.accounts.rotateKey(accountId);
    await this.keys.keyStopped({ accountId, keyPrefix: replacedKeyPrefix });
    return account;
  }

  @Post('accounts')
  @HttpCode(201)
  @PublicRoute()
  @ApiOperation({ summary: 'Self-service signup (consumer + creator): returns the API key once; only its hash is stored.' })
  @ApiBody({ schema: openApiSchema(createAccountSchema) })
  create(@Body(new ZodValidationPipe(createAccountSchema, 'account')) body: z.infer<typeof createAccountSchema>): Promise<CreatedAccount> {
    return this.accounts.create(body.displayName);
  }

  @Get('accounts/me')
  @ApiBearerAuth()
  me(@CurrentAccount() account: Account): Account {
    return account;
  }

  @Post('accounts/me/rotate-key')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Issue a new API key for yourself; the key you called with stops working at once (REST and open sockets).' })
  rotate(@CurrentAccount() account: Account): Promise<CreatedAccount> {
    return this.rotateKey(account.id);
  }

  @Post('operator/accounts')
  @HttpCode(201)
  @ApiBearerAuth()
  @RequireRole('operator')
  @ApiOperation({ summary: 'Operators: create an account with the given roles; returns its API key once.' })
  @ApiBody({ schema: openApiSchema(operatorCreateSchema) })
  createAsOperator(@Body(new ZodValidationPipe(operatorCreateSchema, 'account')) body: z.infer<typeof operatorCreateSchema>): Promise<CreatedAccount> {
    return this.accounts.create(body.displayName, [...new Set(body.roles)]);
  }

  @Post('operator/accounts/:id/revoke-key')
  @HttpCode(204)
  @ApiBearerAuth()
  @RequireRole('operator')
  @ApiOperation({ summary: "Operators: revoke an account's API key; it stops authenticating at once (REST and sockets)." })
  async revoke(@Param('id') id: string): Promise<void> {
    const { revokedKeyPrefix } = await this.accounts.revokeKey(accountId(id));
    await this.keys.keyStopped({ accountId: id, keyPrefix: revokedKeyPrefix });
  }

  @Post('operator/accounts/:id/rotate-key')
  @HttpCode(200)
  @ApiBearerAuth()
  @RequireRole('operator')
  @ApiOperation({ summary: 'Operators: issue a new key for an account (e.g. after revoking a leaked one).' })
  rotateAsOperator(@Param('id') id: string): Promise<CreatedAccount> {
    return this.rotateKey(accountId(id));
  }
}
