// What an import did with each field of the file: mapped where, dropped why. Never holds a field's value.
export type CharacterFormat = 'eliza-v0.1' | 'eliza-v1' | 'eliza-later' | 'character-card-v1' | 'character-card-v2' | 'character-card-v3';
export type LorebookFormat = 'sillytavern-world-info' | 'agnai-memory-book' | 'lorebook-v3';
export type ImportFormat = CharacterFormat | LorebookFormat;
export type CharacterContainer = 'json' | 'png' | 'charx';

export interface FieldMapping {
  from: string;
  to: string;
}

export interface DroppedField {
  field: string;
  reason: string;
}

export interface ImportReport {
  format: ImportFormat;
  container: CharacterContainer;
  mapped: FieldMapping[];
  dropped: DroppedField[];
  warnings: string[];
}

export class ImportReportBuilder {
  private readonly mapped: FieldMapping[] = [];
  private readonly dropped: DroppedField[] = [];
  private readonly warnings: string[] = [];

  map(from: string, to: string): void {
    this.mapped.push({ from, to });
  }

  drop(field: string, reason: string): void {
    this.dropped.push({ field, reason });
  }

  warn(warning: string): void {
    this.warnings.push(warning);
  }

  build(format: ImportFormat, container: CharacterContainer): ImportReport {
    return { format, container, mapped: [...this.mapped], dropped: [...this.dropped], warnings: [...this.warnings] };
  }
}
