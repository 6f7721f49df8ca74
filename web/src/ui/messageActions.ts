// What a message row can do (reply, edit, delete, react, …), provided by the
// room view. One object for the life of the room, so that rows, which are
// memoized, never render again because of it: what changes (the room's
// owner, its edit window) is read when asked.
import { createContext } from 'react';
import type { Message } from '../api/types';

export interface MessageActions {
  reply(m: Message): void;
  /** Opens the inline editor on the message. */
  edit(m: Message): void;
  /** Asks (in a dialog) before deleting the message. */
  askDelete(m: Message): void;
  /** Adds (on) or takes back the user's emoji. */
  react(m: Message, emoji: string, on: boolean): void;
  /** Opens the full emoji picker to react to the message. */
  pickReaction(m: Message): void;
  /** Shows the earlier texts of an edited message. */
  versions(m: Message): void;
  /** Scrolls to a loaded message and focuses it; false when it is not loaded. */
  jump(messageId: number): boolean;
  saveEdit(m: Message, text: string): void;
  cancelEdit(): void;
  /** Whether the user may still edit the message (its author, within the room's edit window). */
  canEdit(m: Message): boolean;
  /** Whether the user may delete the message (its author, the room's owner, an administrator). */
  canDelete(m: Message): boolean;
  /** A signed link of a file in the message stopped working: fetch the message again. */
  refreshMessage(messageId: number): void;
}

/** The inline editor's state, for the one row being edited. */
export interface EditState {
  id: number;
  /** The text the editor starts from. */
  text: string;
  error: string | null;
  busy: boolean;
}

const none = () => {};

export const MessageActionsContext = createContext<MessageActions>({
  reply: none,
  edit: none,
  askDelete: none,
  react: none,
  pickReaction: none,
  versions: none,
  jump: () => false,
  saveEdit: none,
  cancelEdit: none,
  canEdit: () => false,
  canDelete: () => false,
  refreshMessage: none,
});

/** The reactions offered first; "More…" opens the emoji picker. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮', '😢', '👀', '✅'] as const;
