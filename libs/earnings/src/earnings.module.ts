import { Module } from '@nestjs/common';
import { EarningsMeter } from './earnings-meter.service';
import { EarningsRepository } from './earnings.repository';

@Module({ providers: [EarningsRepository, EarningsMeter], exports: [EarningsRepository, EarningsMeter] })
export class EarningsModule {}
