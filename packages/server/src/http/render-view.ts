import type { View } from '../endpoints/browser-flow.js';
import { accountPage } from './pages/account-page.js';
import { consentPage } from './pages/consent-page.js';
import { errorPage } from './pages/error-page.js';
import { loginPage } from './pages/login-page.js';
import { logoutPage, signedOutPage } from './pages/logout-page.js';

/** The HTML of a view. */
export function renderView(view: View): string {
  switch (view.page) {
    case 'login':
      return loginPage(view.props);
    case 'consent':
      return consentPage(view.props);
    case 'error':
      return errorPage(view.props);
    case 'logout':
      return logoutPage(view.props);
    case 'signed-out':
      return signedOutPage();
    case 'account':
      return accountPage(view.props);
  }
}
