"""Name pools and the ways real registration clerks get names wrong.

The pools mix common US names across origins so that patient lists look like a real panel and
so that some collisions (two unrelated "Maria Garcia"s) happen naturally. The mutation helpers
are what the duplicate-patient exercise is built from: a learner must see through nicknames,
typos and swapped fields.
"""

from __future__ import annotations

import random
from itertools import pairwise

# fmt: off
MALE_GIVEN = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Edward", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron",
    "Jose", "Adam", "Nathan", "Henry", "Zachary", "Douglas", "Peter", "Kyle", "Noah", "Ethan",
    "Jeremy", "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean", "Gerald",
    "Carl", "Harold", "Dylan", "Arthur", "Lawrence", "Jordan", "Jesse", "Bryan", "Billy",
    "Bruce", "Gabriel", "Joe", "Logan", "Alan", "Juan", "Albert", "Willie", "Elijah", "Wayne",
    "Randy", "Vincent", "Liam", "Mason", "Roy", "Ralph", "Bobby", "Russell", "Bradley",
    "Philip", "Eugene", "Carlos", "Luis", "Miguel", "Francisco", "Wei", "Minh", "Raj",
    "Mohammed", "Darnell", "Malik", "Andre", "Hiroshi", "Arjun", "Mateo", "Santiago",
)

FEMALE_GIVEN = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly",
    "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie",
    "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia", "Amy", "Kathleen", "Angela", "Shirley",
    "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha", "Katherine", "Christine",
    "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather", "Diane",
    "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina",
    "Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha",
    "Madison", "Teresa", "Gloria", "Sara", "Janice", "Ann", "Kathryn", "Abigail", "Sophia",
    "Frances", "Jean", "Alice", "Judy", "Isabella", "Julia", "Grace", "Amber", "Denise",
    "Danielle", "Marilyn", "Beverly", "Charlotte", "Natalie", "Theresa", "Diana", "Brittany",
    "Doris", "Kayla", "Alexis", "Lori", "Guadalupe", "Rosa", "Ana", "Mei", "Linh", "Priya",
    "Aisha", "Keisha", "Yuki", "Fatima", "Lucia", "Camila", "Valentina", "Ngozi",
)

FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes", "Price",
    "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
    "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno",
    "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
    "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez",
    "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman",
    "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
    "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
    "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar",
    "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson",
    "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Wang",
    "Okafor", "Shah", "Yamamoto", "Kowalski", "O'Brien", "Singh", "Hoang", "Abdullah",
)

# fmt: on

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Betsy"),
    "James": ("Jim", "Jimmy"),
    "John": ("Jack", "Johnny"),
    "Richard": ("Rick", "Dick", "Rich"),
    "Michael": ("Mike",),
    "Joseph": ("Joe", "Joey"),
    "Thomas": ("Tom", "Tommy"),
    "Charles": ("Chuck", "Charlie"),
    "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Donald": ("Don",),
    "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Kenneth": ("Ken", "Kenny"),
    "Timothy": ("Tim",),
    "Ronald": ("Ron",),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Jeffrey": ("Jeff",),
    "Nicholas": ("Nick",),
    "Jonathan": ("Jon",),
    "Gregory": ("Greg",),
    "Alexander": ("Alex",),
    "Benjamin": ("Ben",),
    "Samuel": ("Sam",),
    "Patrick": ("Pat",),
    "Gerald": ("Jerry",),
    "Lawrence": ("Larry",),
    "Francisco": ("Paco", "Frank"),
    "Jose": ("Pepe",),
    "Jennifer": ("Jen", "Jenny"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Katherine": ("Kate", "Kathy", "Katie"),
    "Catherine": ("Cathy", "Cat"),
    "Kathleen": ("Kathy", "Kate"),
    "Susan": ("Sue", "Susie"),
    "Deborah": ("Deb", "Debbie"),
    "Debra": ("Deb", "Debbie"),
    "Rebecca": ("Becky", "Becca"),
    "Jessica": ("Jess", "Jessie"),
    "Kimberly": ("Kim",),
    "Barbara": ("Barb",),
    "Dorothy": ("Dot", "Dottie"),
    "Victoria": ("Vicky", "Tori"),
    "Samantha": ("Sam",),
    "Abigail": ("Abby",),
    "Christine": ("Chris", "Chrissy"),
    "Christina": ("Tina", "Chris"),
    "Pamela": ("Pam",),
    "Cynthia": ("Cindy",),
    "Stephanie": ("Steph",),
    "Jacqueline": ("Jackie",),
    "Judith": ("Judy",),
    "Theresa": ("Terri",),
    "Teresa": ("Terri",),
    "Guadalupe": ("Lupe",),
    "Virginia": ("Ginny",),
    "Frances": ("Fran",),
    "Alexis": ("Lexi",),
}

# fmt: off
_KEYBOARD_NEIGHBORS = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}
# fmt: on


def nickname(given: str, rng: random.Random) -> str | None:
    """A common nickname for ``given``, or None when the name has no usual short form."""
    options = NICKNAMES.get(given)
    return rng.choice(options) if options else None


def typo(name: str, rng: random.Random) -> str:
    """One keying error (transposition, dropped, doubled or mistyped letter).

    Promises a non-empty result that differs from ``name`` even ignoring case, so the typo is
    a real discrepancy a matcher has to tolerate, never a no-op.
    """
    if not name:
        raise ValueError("cannot misspell an empty name")
    operations = ["double", "substitute"]
    if len(name) >= 3:
        operations.append("drop")
    if any(a.lower() != b.lower() for a, b in pairwise(name)):
        operations.append("transpose")
    operation = rng.choice(operations)
    if operation == "transpose":
        spots = [i for i in range(len(name) - 1) if name[i].lower() != name[i + 1].lower()]
        i = rng.choice(spots)
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if operation == "drop":
        i = rng.randrange(1, len(name))
        return name[:i] + name[i + 1 :]
    if operation == "double":
        i = rng.randrange(len(name))
        return name[: i + 1] + name[i] + name[i + 1 :]
    return _substitute(name, rng)


def _substitute(name: str, rng: random.Random) -> str:
    i = rng.randrange(len(name))
    original = name[i]
    neighbors = _KEYBOARD_NEIGHBORS.get(original.lower(), "")
    choices = [c for c in neighbors or "aeiou" if c != original.lower()] or ["x"]
    replacement = rng.choice(choices)
    if original.isupper():
        replacement = replacement.upper()
    return name[:i] + replacement + name[i + 1 :]
