/**
 * The charts' tooltip, served as /assets/chart-tooltip.js: hovering or
 * focusing a point shows its `<title>` (time and value) in a box by the
 * point at once. Without it the browser's own title tooltip still shows the
 * same text, after its delay; the charts need no script to be read.
 */
export const CHART_TOOLTIP_SCRIPT_NAME = 'chart-tooltip.js';

export const CHART_TOOLTIP_SCRIPT = `(() => {
  const tip = document.createElement('div');
  tip.className = 'chart-tooltip';
  tip.setAttribute('role', 'status');
  tip.hidden = true;
  document.body.append(tip);
  const pointOf = (target) => (target instanceof Element ? target.closest('circle.point') : null);
  const show = (point) => {
    tip.textContent = point.querySelector('title')?.textContent ?? point.getAttribute('data-value');
    tip.hidden = false;
    const box = point.getBoundingClientRect();
    const left = Math.min(window.scrollX + box.left + box.width / 2, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8);
    tip.style.left = Math.max(window.scrollX + 8, left - tip.offsetWidth / 2) + 'px';
    tip.style.top = window.scrollY + box.top - tip.offsetHeight - 8 + 'px';
  };
  document.addEventListener('pointerover', (event) => {
    const point = pointOf(event.target);
    if (point) show(point);
  });
  document.addEventListener('pointerout', (event) => {
    if (pointOf(event.target)) tip.hidden = true;
  });
})();
`;
