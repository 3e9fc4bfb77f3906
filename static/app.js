// Loa's small page behaviours, kept out of the HTML because the Content-Security-Policy runs no
// inline script: confirm before a destructive form, print, select a token shown once, submit a
// filter when it changes.
document.addEventListener("submit", (e) => {
  const question = e.target.dataset && e.target.dataset.confirm;
  if (question && !window.confirm(question)) e.preventDefault();
});
document.addEventListener("click", (e) => {
  if (e.target.closest && e.target.closest("[data-print]")) window.print();
});
document.addEventListener("focusin", (e) => {
  if (e.target.matches && e.target.matches("[data-select-on-focus]")) e.target.select();
});
document.addEventListener("change", (e) => {
  if (e.target.matches && e.target.matches("[data-submit-on-change]")) e.target.form.requestSubmit();
});
