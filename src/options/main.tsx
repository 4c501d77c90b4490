import { render } from 'preact';
import { t, uiLanguage } from '../ui/i18n.ts';
import { browserOptionsApi } from './browser-options-api.ts';
import { OptionsApp } from './options-app.tsx';
import './options.css';

document.documentElement.lang = uiLanguage();
document.title = t('optionsTitle');
const root = document.getElementById('app');
if (root) render(<OptionsApp api={browserOptionsApi()} />, root);
