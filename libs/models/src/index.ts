export { ModelsModule } from './models.module';
export { ModelsRepository } from './models.repository';
export { ModelRegistry, BUILT_IN_MODELS, SHIPPED_MODELS } from './model-registry.service';
export { ModelHost, type RefusedModel } from './model-host.service';
export { hashModelFolder, manifestHash, verifyModelFiles, sha256File, ModelIntegrityError, type ModelFile } from './model-files';
export { registerModelSchema, modelKindSchema, modelBackendSchema, type ModelRecord, type RegisterModelInput } from './model-record';
export { HubPuller, type PulledModel } from './hub-pull';
