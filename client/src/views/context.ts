/** What every view may ask of the page shell: navigation, announcements, the session. */
import type { ApiResult } from '../api';
import type { Link } from '../links';
import type { Session } from '../session';

/** The shell's services, handed to each view. */
export interface AppContext {
  /** Links of the entry point `/`. */
  rootLinks(): Link[];
  /** Shows the login and registration forms, optionally with a message. */
  showAuth(message?: string): void;
  /** Loads a notes page from an href the API gave (the `notes` link when omitted) and shows it. */
  showNotes(href?: string, focus?: 'top' | 'summary'): Promise<void>;
  /**
   * Shows one note: loaded from an href the API gave, or, when `current` is given, from an answer
   * that already holds it (a PATCH or PUT that returned the note), with that answer's ETag.
   */
  showNote(href: string, current?: Pick<ApiResult, 'body' | 'etag'>): Promise<void>;
  /**
   * Shows the profile: loaded from the session's `profile` link, or, when `current` is given,
   * from an answer that already holds it (a check for changes, a PATCH that returned it), with
   * that answer's ETag. The header's name follows the profile shown. `focusId` names the element
   * to focus afterwards (the heading when omitted or absent).
   */
  showProfile(current?: Pick<ApiResult, 'body' | 'etag'>, focusId?: string): Promise<void>;
  /** Shows the walkthrough. */
  showWalkthrough(): void;
  /** Says something in the polite live region (and on screen). */
  announce(message: string): void;
  /** Starts a session after a login. */
  signIn(session: Session): Promise<void>;
  /** Ends the session and returns to the login form. */
  signOut(message?: string): void;
  /** Shows an error in the given box; a 401 on a protected request ends the session. */
  fail(err: unknown, box: Element): void;
  /** The last notes page shown, so "back to notes" keeps the search, sort and page. */
  lastNotesHref(): string | undefined;
}
