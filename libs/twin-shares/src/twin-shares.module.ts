import { Module } from '@nestjs/common';
import { SharesGateService } from './shares-gate.service';
import { WalletLinksService } from './wallet-links.service';
import { WalletRepository } from './wallet.repository';

@Module({ providers: [WalletRepository, WalletLinksService, SharesGateService], exports: [WalletLinksService, SharesGateService] })
export class TwinSharesModule {}
