import { useRef } from 'preact/hooks';
import { parseSettings, type Settings } from '../engine/settings.ts';
import { exportFileName } from '../ui/export.ts';
import { t } from '../ui/i18n.ts';

// Settings to and from a JSON file. An imported file is checked as a whole
// by parseSettings; a bad one changes nothing and the page says why.

export type ImportResult = { ok: true; settings: Settings } | { ok: false; reason: string };

/** Reads a settings file's text: JSON, and settings parseSettings accepts. */
export function parseSettingsFile(text: string): ImportResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: t('importNotJson', error instanceof Error ? error.message : String(error)) };
  }
  const parsed = parseSettings(raw);
  return parsed.ok ? { ok: true, settings: parsed.value } : { ok: false, reason: parsed.errors.join('; ') };
}

interface Props {
  saved: Settings;
  now: () => number;
  saveFile: (name: string, mime: string, text: string) => void;
  onImport: (fileName: string, result: ImportResult) => Promise<void>;
  /** The organisation locked the settings: export still works, import does not. */
  locked: boolean;
}

export function SettingsFileSection({ saved, now, saveFile, onImport, locked }: Props) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <section aria-labelledby="file-heading">
      <h2 id="file-heading">{t('fileHeading')}</h2>
      <p class="help">{t('fileHelp')}</p>
      <div class="action-row">
        <button
          type="button"
          class="button"
          data-testid="export-settings"
          onClick={() => saveFile(exportFileName('', 'settings', 'json', now()), 'application/json', JSON.stringify(saved, null, 2) + '\n')}
        >
          {t('exportSettings')}
        </button>
        <button type="button" class="button" disabled={locked} data-testid="import-settings-button" onClick={() => input.current?.click()}>
          {t('importSettings')}
        </button>
        <input
          ref={input}
          type="file"
          accept="application/json,.json"
          class="visually-hidden"
          tabIndex={-1}
          aria-label={t('importSettings')}
          data-testid="import-settings"
          disabled={locked}
          onChange={async (e) => {
            const file = e.currentTarget.files?.[0];
            e.currentTarget.value = ''; // the same file can be chosen again
            if (file) await onImport(file.name, parseSettingsFile(await file.text()));
          }}
        />
      </div>
    </section>
  );
}
