"""The NHS Friends and Family Test monthly return (issue 23; docs/fft.md): the codes NHS England identifies a
service by (:mod:`.codes`), the month's answers counted by ward (:mod:`.counting`), NHS England's publication
suppression (:mod:`.suppression`) and the return's tables and files (:mod:`.tables`, :mod:`.files`)."""
