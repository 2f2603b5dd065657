#!/usr/bin/env python3
# tools/gen-countries.py - write common/countries.h from Debian's iso-codes
# (/usr/share/iso-codes/json/iso_3166-1.json and its translations).
# Run by hand when iso-codes changes; the output is committed, so the
# build does not need iso-codes.  Keys are folded as country_key() in
# common/infer.c folds them: ASCII letters lower-cased, common accented
# Latin letters to their base letter, everything else dropped.
import gettext, json, sys, unicodedata

LANGS = ["de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "fi", "cs",
         "sk", "hu", "ro", "el", "bg", "hr", "sl", "et", "lv", "lt", "ga", "mt",
         "nb", "ca"]
# Common names the ISO lists spell differently, and codes in use that
# are not ISO alpha-2 or -3 (UK, EL for Greece in EU statistics).
ALIASES = {
    "GB": ["UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales",
           "Northern Ireland", "Grossbritannien", "Großbritannien", "Vereinigtes Königreich",
           "Royaume-Uni", "Reino Unido", "Regno Unito", "Verenigd Koninkrijk",
           "Gran Bretagna", "Gran Bretaña", "Grande-Bretagne", "Groot-Brittannië", "Angleterre",
           "Inghilterra", "Inglaterra", "Engeland", "England (UK)"],
    "US": ["USA", "U.S.A.", "U.S.", "US of A", "United States of America", "America",
           "Vereinigte Staaten", "Vereinigte Staaten von Amerika", "Etats-Unis", "États-Unis",
           "Estados Unidos", "Stati Uniti", "Verenigde Staten", "Amerika"],
    "NL": ["Holland", "The Netherlands", "Netherlands, The", "Nederland", "Niederlande",
           "Pays-Bas", "Países Bajos", "Paesi Bassi"],
    "KR": ["South Korea", "Korea", "Republic of Korea", "Korea, South", "Südkorea",
           "Corée du Sud", "Corea del Sur", "Corea del Sud", "Zuid-Korea"],
    "KP": ["North Korea", "Korea, North", "Nordkorea"],
    "RU": ["Russia", "Russland", "Russie", "Rusia", "Russia Federation"],
    "CZ": ["Czech Republic", "Czechia", "Tschechien", "Tschechische Republik"],
    "VN": ["Vietnam"], "IR": ["Iran"], "SY": ["Syria"], "TW": ["Taiwan"],
    "BO": ["Bolivia"], "VE": ["Venezuela"], "TZ": ["Tanzania"], "MD": ["Moldova"],
    "LA": ["Laos"], "MK": ["Macedonia", "North Macedonia", "Nordmazedonien"],
    "TR": ["Turkey", "Türkiye", "Turkiye", "Türkei", "Turquie", "Turquía", "Turchia", "Turkije"],
    "CI": ["Ivory Coast", "Cote d'Ivoire", "Elfenbeinküste"], "SZ": ["Swaziland", "Eswatini"],
    "MM": ["Burma", "Myanmar"], "CV": ["Cape Verde"], "VA": ["Vatican", "Vatican City", "Holy See"],
    "PS": ["Palestine"], "GR": ["EL", "Greece", "Griechenland", "Grèce", "Grecia", "Griekenland"],
    "CH": ["Switzerland", "Schweiz", "Suisse", "Svizzera", "Suiza", "Zwitserland", "Helvetia"],
    "AT": ["Österreich", "Autriche", "Austria", "Oostenrijk"],
    "DE": ["Germany", "Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland", "BRD",
           "Bundesrepublik Deutschland", "Federal Republic of Germany"],
    "BN": ["Brunei"], "FM": ["Micronesia"], "CD": ["DR Congo", "Congo-Kinshasa", "DRC"],
    "CG": ["Congo-Brazzaville", "Republic of the Congo"], "HK": ["Hong Kong"], "MO": ["Macau", "Macao"],
    "AE": ["UAE", "U.A.E.", "Emirates"], "BA": ["Bosnia", "Bosnia-Herzegovina"],
    "TT": ["Trinidad"], "KN": ["St Kitts and Nevis", "Saint Kitts"], "LC": ["St Lucia"],
    "VC": ["St Vincent"], "SX": ["Sint Maarten"], "MF": ["Saint Martin"],
    "XK": ["Kosovo", "XK", "XKX"],
}
# Keys that would mean two countries, resolved by hand.
FIXED = {"georgia": "GE", "guinea": "GN", "congo": "CG", "korea": "KR", "dominica": "DM",
         "niger": "NE", "samoa": "WS", "sudan": "SD", "virginislands": None,
         "macedonia": "MK", "irland": "IE", "island": "IS"}

def key(s):
    out = []
    for ch in s:
        if ch == "ß":
            out.append("ss"); continue
        d = unicodedata.normalize("NFKD", ch)
        for c in d:
            c = c.lower()
            if "a" <= c <= "z":
                out.append(c)
    return "".join(out)

data = json.load(open("/usr/share/iso-codes/json/iso_3166-1.json"))["3166-1"]
keys = {}
def add(k, code, strong=False):
    if not k:
        return
    if k in FIXED:
        return
    if k in keys and keys[k] != code:
        if strong:
            keys[k] = code
        elif keys[k] is not None and not keys.get("!" + k):
            keys[k] = None  # ambiguous: drop
        return
    keys[k] = code
    if strong:
        keys["!" + k] = True

for c in data:
    code = c["alpha_2"]
    add(key(code), code, True)
    add(key(c["alpha_3"]), code, True)
    names = [c["name"]] + [c[f] for f in ("common_name", "official_name") if f in c]
    for n in names:
        add(key(n), code)
    for lang in LANGS:
        try:
            t = gettext.translation("iso_3166-1", localedir="/usr/share/locale", languages=[lang])
        except OSError:
            continue
        for n in names:
            tr = t.gettext(n)
            if tr != n:
                add(key(tr), code)
for code, al in ALIASES.items():
    for a in al:
        add(key(a), code, True)
for k, v in FIXED.items():
    if v:
        keys[k] = v
rows = sorted((k, v) for k, v in keys.items() if not k.startswith("!") and v)
w = sys.stdout
w.write("/* countries.h - generated by tools/gen-countries.py from iso-codes "
        "(ISO 3166-1 names\n * in English and %d languages, alpha-2/3 codes, aliases); "
        "do not edit. */\n" % len(LANGS))
w.write("static const struct country_name { const char *key; char iso[3]; } country_names[] = {\n")
for k, v in rows:
    w.write('\t{ "%s", "%s" },\n' % (k, v))
w.write("};\n")
