import { render } from 'preact';
import { t, uiLanguage } from '../ui/i18n.ts';
import { browserBlockedApi } from './blocked-api.ts';
import { BlockedApp } from './blocked-app.tsx';
import { blockedUrlFromHref, navigableUrl } from './blocked-url.ts';
import './blocked.css';

// Entry point of the page a blocked top-level navigation lands on:
// index.html#<the blocked URL> (see blocked-url.ts).

const rawUrl = blockedUrlFromHref(location.href);
const host = navigableUrl(rawUrl)?.hostname;
document.documentElement.lang = uiLanguage();
document.title = host ? t('blockedDocumentTitle', host) : t('blockedHeading');
const root = document.getElementById('app');
if (root) render(<BlockedApp api={browserBlockedApi()} rawUrl={rawUrl} />, root);
