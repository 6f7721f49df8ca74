import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { applyTheme, loadTheme } from './ui/theme';
import './styles.css';

// Before the first paint, so a chosen theme never flashes the other one.
try {
  applyTheme(document.documentElement, loadTheme(localStorage));
} catch {
  /* storage disabled: the system's theme */
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
