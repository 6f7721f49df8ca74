/** How every link in a message opens: a new tab that cannot reach back into the chat, and no endorsement. */
export const LINK = { target: '_blank', rel: 'noopener noreferrer nofollow' } as const;
