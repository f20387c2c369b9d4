import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ModelRegistry, registerModelSchema, type ModelRecord, type RegisterModelInput } from '@doppel/models';
import { RequireRole } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

@ApiTags('models')
@ApiBearerAuth()
@Controller('models')
export class ModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Registered models with their content hashes (sha256 over every weight and tokenizer file).' })
  list(): Promise<ModelRecord[]> {
    return this.registry.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ModelRecord> {
    return this.registry.get(id);
  }

  @Post()
  @HttpCode(201)
  @RequireRole('operator')
  @ApiOperation({ summary: 'Operators: register an ONNX model folder (hashed now, verified by every node that loads it) or an OpenAI-compatible endpoint.' })
  @ApiBody({ schema: openApiSchema(registerModelSchema) })
  register(@Body(new ZodValidationPipe(registerModelSchema, 'model')) body: RegisterModelInput): Promise<ModelRecord> {
    return this.registry.register(body);
  }
}
