// django_celery_beat's periodic task form: show the crontab in words under the field.
// (Its own template does this in an inline script, which the Content Security Policy blocks.)
(function ($) {
  const script = document.getElementById("periodic-task-overrides");
  const readableCrontabs = JSON.parse($("#readable-crontabs").text());
  const originalCrontabHelp = script.dataset.crontabHelp;

  function updateCrontabHelp(additional) {
    $(".field-crontab .help").html(`${originalCrontabHelp}<br/>Translation: ${additional}`);
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
