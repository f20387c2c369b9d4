import { Module } from '@nestjs/common';
import { TurnStreamPublishers } from './turn-stream-publisher';

@Module({ providers: [TurnStreamPublishers], exports: [TurnStreamPublishers] })
export class StreamingModule {}
