// Whether the user can be reading the page: it is visible and the window has
// focus. Only then does an open room count as read.
import { useEffect, useState } from 'react';

function attending(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus();
}

export function useAttention(): boolean {
  const [on, setOn] = useState(attending);
  useEffect(() => {
    const update = () => setOn(attending());
    document.addEventListener('visibilitychange', update);
    window.addEventListener('focus', update);
    window.addEventListener('blur', update);
    update();
    return () => {
      document.removeEventListener('visibilitychange', update);
      window.removeEventListener('focus', update);
      window.removeEventListener('blur', update);
    };
  }, []);
  return on;
}
