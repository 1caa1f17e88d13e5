"""Seed the managed lists: themes, financeurs and dispositifs (idempotent, editable afterwards)."""

from django.db import migrations

THEMES = [
    ("commerce", "Commerce"),
    ("habitat", "Habitat"),
    ("patrimoine", "Patrimoine"),
    ("mobilite", "Mobilité"),
    ("transition-ecologique", "Transition écologique"),
    ("numerique", "Numérique"),
    ("services-publics", "Services publics"),
    ("sante", "Santé"),
    ("culture", "Culture"),
    ("espaces-publics", "Espaces publics"),
    ("economie", "Économie"),
    ("energie", "Énergie"),
    ("friches", "Friches"),
    ("tiers-lieux", "Tiers-lieux"),
    ("education-jeunesse", "Éducation et jeunesse"),
    ("sport-loisirs", "Sport et loisirs"),
    ("tourisme", "Tourisme"),
    ("ingenierie", "Ingénierie et études"),
]

# slug, nom, sigle, categorie
FINANCEURS = [
    ("etat", "État", "État", "etat"),
    ("banque-des-territoires", "Banque des Territoires", "BdT", "operateur"),
    ("anah", "Agence nationale de l'habitat", "Anah", "operateur"),
    ("ademe", "Agence de la transition écologique", "Ademe", "operateur"),
    ("anct", "Agence nationale de la cohésion des territoires", "ANCT", "operateur"),
    ("agence-eau", "Agence de l'eau", "", "operateur"),
    ("ans", "Agence nationale du sport", "ANS", "operateur"),
    ("region", "Région", "", "collectivite"),
    ("departement", "Département", "", "collectivite"),
    ("epci", "Intercommunalité (fonds de concours)", "EPCI", "collectivite"),
    ("union-europeenne", "Union européenne", "UE", "europe"),
    ("autofinancement", "Maître d'ouvrage (autofinancement)", "Autofinancement", "porteur"),
    ("prive", "Financeurs privés (mécénat, entreprises)", "Privé", "prive"),
]

# slug, nom, sigle, financeur slug
DISPOSITIFS = [
    ("detr", "Dotation d'équipement des territoires ruraux", "DETR", "etat"),
    ("dsil", "Dotation de soutien à l'investissement local", "DSIL", "etat"),
    ("fonds-vert", "Fonds d'accélération de la transition écologique (Fonds vert)", "Fonds vert", "etat"),
    ("fnadt", "Fonds national d'aménagement et de développement du territoire", "FNADT", "etat"),
    ("fonds-friches", "Fonds de recyclage des friches", "Fonds friches", "etat"),
    ("dsid", "Dotation de soutien à l'investissement des départements", "DSID", "etat"),
    ("fonds-patrimoine", "Fonds incitatif et partenarial pour les monuments historiques", "FIP MH", "etat"),
    ("anah-opah-ru", "Opération programmée d'amélioration de l'habitat – renouvellement urbain", "Anah OPAH-RU", "anah"),
    ("anah-pig", "Programme d'intérêt général (habitat)", "Anah PIG", "anah"),
    ("anah-ingenierie", "Ingénierie Anah (études pré-opérationnelles)", "Anah ingénierie", "anah"),
    ("bdt-ingenierie", "Banque des Territoires – cofinancement d'ingénierie", "BdT ingénierie", "banque-des-territoires"),
    ("bdt-pret", "Banque des Territoires – prêt au secteur public local", "BdT prêt", "banque-des-territoires"),
    ("ademe-fonds-chaleur", "Fonds chaleur", "Fonds chaleur", "ademe"),
    ("ademe-economie-circulaire", "Fonds économie circulaire", "", "ademe"),
    ("feder", "Fonds européen de développement régional", "FEDER", "union-europeenne"),
    ("leader", "Programme LEADER (FEADER)", "LEADER", "union-europeenne"),
    ("cper", "Contrat de plan État-Région", "CPER", "region"),
    ("fonds-regional", "Aide régionale aux centralités", "", "region"),
    ("fonds-departemental", "Aide départementale aux communes", "", "departement"),
    ("fonds-concours", "Fonds de concours intercommunal", "", "epci"),
]


def seed(apps, schema_editor):
    Theme = apps.get_model("projets", "Theme")
    Financeur = apps.get_model("projets", "Financeur")
    Dispositif = apps.get_model("projets", "Dispositif")
    for ordre, (slug, nom) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(slug=slug, defaults={"nom": nom, "ordre": ordre})
    financeurs = {}
    for slug, nom, sigle, categorie in FINANCEURS:
        financeurs[slug], _ = Financeur.objects.get_or_create(
            slug=slug, defaults={"nom": nom, "sigle": sigle, "categorie": categorie}
        )
    for slug, nom, sigle, financeur in DISPOSITIFS:
        Dispositif.objects.get_or_create(
            slug=slug, defaults={"nom": nom, "sigle": sigle, "financeur": financeurs[financeur]}
        )


class Migration(migrations.Migration):
    dependencies = [("projets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
