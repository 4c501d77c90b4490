import { attribution, source } from '../data/generated/ip-table-meta.json';
import { t } from '../ui/i18n.ts';

// Where the data comes from, the credit its licence (CC BY 4.0) asks for,
// and what Carrier Watch does with what it sees: nothing leaves the machine.
// Only two fields of the 59 KB meta file are imported; the bundler drops the rest.

export function AboutSection({ version }: { version: string }) {
  return (
    <section aria-labelledby="about-heading">
      <h2 id="about-heading">{t('aboutHeading')}</h2>
      <h3>{t('privacyHeading')}</h3>
      <p data-testid="privacy">{t('privacyText')}</p>
      <h3>{t('dataHeading')}</h3>
      <dl class="facts-list">
        <dt>{t('dataSource')}</dt>
        <dd>
          <code>{source.package}</code>
        </dd>
        <dt>{t('dataVersion')}</dt>
        <dd>{source.version}</dd>
        <dt>{t('dataDate')}</dt>
        <dd>{source.dataDate}</dd>
        <dt>{t('dataLicence')}</dt>
        <dd>{source.licence}</dd>
        <dt>{t('extensionVersion')}</dt>
        <dd>{version}</dd>
      </dl>
      <p class="help">{t('dataCurated')}</p>
      <h3>{t('attributionHeading')}</h3>
      <p class="attribution" lang="en" data-testid="attribution">
        {attribution}
      </p>
    </section>
  );
}
