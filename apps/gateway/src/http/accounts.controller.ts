import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { AccountsService, type Account, type CreatedAccount } from '@doppel/accounts';
import { CurrentAccount, PublicRoute } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const createAccountSchema = z.strictObject({ displayName: z.string().trim().min(1).max(100) });

@ApiTags('accounts')
@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  @HttpCode(201)
  @PublicRoute()
  @ApiOperation({ summary: 'Self-service signup: returns the API key once; only its hash is stored.' })
  @ApiBody({ schema: openApiSchema(createAccountSchema) })
  create(@Body(new ZodValidationPipe(createAccountSchema, 'account')) body: z.infer<typeof createAccountSchema>): Promise<CreatedAccount> {
    return this.accounts.create(body.displayName);
  }

  @Get('me')
  @ApiBearerAuth()
  me(@CurrentAccount() account: Account): Account {
    return account;
  }
}
