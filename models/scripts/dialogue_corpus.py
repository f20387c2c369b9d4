# Chat conversations for doppel-mini-chat, generated from templates filled with persona and user fields, in the exact
# shape the runtime gives a chat model (libs/turns/src/prompt-assembler.ts: persona core, the memory section, the
# greeting as the first assistant message, then the history). Natural text comes from WordNet definitions and a few
# dictionary-clean fortunes. Every choice comes from one seeded random.Random, so the corpus is the same on every
# machine. The replies only state user facts that the prompt holds (memory lines or earlier messages); asked for one
# it does not hold, the persona says so.
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

MEMORY_HEADER = 'What you remember from earlier conversations with this user (most relevant first):'

FIRST_NAMES = (
    'Ada Mira Tom Nell Owen Iris Hugo Ruth Leo Maud Finn Clara Jonah Elsie Amos Greta Silas Wren Otto Mabel Abel '
    'Hazel Ezra Ivy Jasper Lena Milo Nora Rufus Tess Wilf Agnes Bram Cora Dex Edith Felix Gwen Hal June Kit Lottie '
    'Ned Opal Pip Quinn Rosa Saul Thea Ugo Vera Walt Yara Zed Alma Bea Cyrus Dora Emil Faye Gus Hilda Ian Jude Kay '
    'Lars Maya Nico Olive Paul Rhea Sam Tara Uma Vic Will Xena Yusuf Zoe Anna Ben Carl Dina Eve Fred Gina Hans Ines '
    'Jack Kim Lucy Mark Nina Oscar Petra Ray Sara Tim Ursula Viktor Wanda Alex Beth Chloe Dan Ella Frank Grace Henry '
    'Isla Joe Kate Liam Molly Noah Ollie Penny Rob Sofia Ted Val Wes Yuki Zara Arlo Bess Cal Dot Enid Flo Gil Hetty'
).split()

PLACES = [
    'the Hebrides', 'a fishing village in Cornwall', 'the coast of Maine', 'a farm near York', 'a small town in Wales',
    'the hills above Lisbon', 'an island off Norway', 'a village by the lake', 'the edge of the moor', 'a busy port town',
    'the north of Scotland', 'a valley in the Alps', 'a harbour town in Ireland', 'the old quarter of Porto',
    'a cabin in the woods', 'a house by the river', 'a street full of bakeries', 'the west coast', 'a quiet suburb',
    'a mountain village', 'the city of Boston', 'a town in Vermont', 'the Yorkshire dales', 'the Isle of Skye',
    'a canal boat in Oxford', 'a market town in Kent', 'the shores of Lake Geneva', 'a windy cape', 'a village in Provence',
]

# (third person, first person) verb phrases: what a persona does now.
ACTIVITIES = [
    ('repairs old clocks', 'repair old clocks'), ('grows tomatoes and beans', 'grow tomatoes and beans'),
    ('paints the sea', 'paint the sea'), ('bakes bread for the neighbours', 'bake bread for the neighbours'),
    ('writes long letters', 'write long letters'), ('keeps bees', 'keep bees'), ('restores old boats', 'restore old boats'),
    ('teaches children to swim', 'teach children to swim'), ('walks the dog on the beach', 'walk the dog on the beach'),
    ('mends fishing nets', 'mend fishing nets'), ('reads detective stories', 'read detective stories'),
    ('knits warm scarves', 'knit warm scarves'), ('plays the fiddle at the pub', 'play the fiddle at the pub'),
    ('carves wooden birds', 'carve wooden birds'), ('watches the weather', 'watch the weather'),
    ('collects old maps', 'collect old maps'), ('cooks for friends', 'cook for friends'), ('fixes bicycles', 'fix bicycles'),
    ('tends a small garden', 'tend a small garden'), ('sings in a choir', 'sing in a choir'),
    ('writes poems about the wind', 'write poems about the wind'), ('builds model ships', 'build model ships'),
    ('feeds the gulls', 'feed the gulls'), ('sells honey at the market', 'sell honey at the market'),
    ('makes jam from wild berries', 'make jam from wild berries'), ('teaches chess at the library', 'teach chess at the library'),
    ('studies the stars', 'study the stars'), ('looks after an old cat', 'look after an old cat'),
    ('takes photographs of birds', 'take photographs of birds'), ('sews quilts', 'sew quilts'),
    ('runs a small tea shop', 'run a small tea shop'), ('rows on the lake every morning', 'row on the lake every morning'),
    ('tells stories to anyone who listens', 'tell stories to anyone who listens'), ('fixes old radios', 'fix old radios'),
    ('grows roses', 'grow roses'), ('draws maps of the coast', 'draw maps of the coast'), ('keeps a diary', 'keep a diary'),
]

JOBS = [
    'lighthouse keeper', 'baker', 'sailor', 'teacher', 'nurse', 'gardener', 'librarian', 'carpenter', 'fisherman',
    'painter', 'clockmaker', 'postman', 'farmer', 'chef', 'pilot', 'doctor', 'engineer', 'musician', 'tailor', 'potter',
    'beekeeper', 'shepherd', 'ferry captain', 'bookseller', 'blacksmith', 'miner', 'train driver', 'midwife',
    'schoolteacher', 'shopkeeper', 'boat builder', 'journalist', 'park ranger', 'watchmaker', 'weaver', 'cook',
]

LIKES = [
    'strong tea', 'long walks', 'old books', 'the sea', 'crosswords', 'rainy days', 'warm bread', 'quiet mornings',
    'good stories', 'music', 'the mountains', 'fresh fish', 'a good fire', 'gardening', 'chess', 'the radio',
    'cold swims', 'apples', 'dogs', 'cats', 'birds', 'the stars', 'snow', 'soup', 'honey', 'coffee', 'letters',
]

TRAITS = [
    'Warm', 'Cheerful', 'Patient', 'Curious', 'Gentle', 'Blunt', 'Shy', 'Kind', 'Calm', 'Lively', 'Thoughtful',
    'Plain spoken', 'Friendly', 'Quiet', 'Practical', 'Honest', 'Playful', 'Careful', 'Proud', 'Generous',
]
STYLES = [
    'dry humour', 'short sentences', 'asks one question back', 'speaks plainly', 'likes a joke', 'never rushes',
    'answers in a few words', 'tells small stories', 'remembers names', 'never pretends to know what they do not',
    'is fond of old sayings', 'keeps things simple',
]

GREETING_OPENERS = ['Evening.', 'Morning.', 'Hello there.', 'Hello.', 'Hi.', 'Good day.', 'Well, hello.', 'Welcome.', 'Ah, a visitor.']
GREETING_MIDDLES = [
    'Kettle is on.', 'Come in out of the rain.', 'Sit down, the fire is warm.', 'Mind the step.', 'The tea is hot.',
    'I was just {act1}.', 'Nice to see a new face.', 'It is a fine day.', 'The wind is up today.', 'Pull up a chair.',
]
GREETING_QUESTIONS = [
    'What brings you up the hill?', 'What brings you here?', 'How can I help?', 'What shall we talk about?',
    'How are you keeping?', 'What is on your mind?', 'Who might you be?', 'What can I do for you?',
]

USER_NAMES = FIRST_NAMES
USER_CITIES = [
    'Lisbon', 'London', 'Paris', 'Berlin', 'Madrid', 'Rome', 'Dublin', 'Oslo', 'Boston', 'Chicago', 'Toronto',
    'Sydney', 'Glasgow', 'Leeds', 'Bristol', 'Porto', 'Vienna', 'Prague', 'Seattle', 'Denver', 'Austin', 'Cardiff',
    'Edinburgh', 'Manchester', 'Amsterdam', 'Geneva', 'Milan', 'Naples', 'Athens', 'Warsaw', 'Helsinki', 'Stockholm',
    'Denmark', 'Texas', 'Ohio', 'Kent', 'a small village', 'the countryside', 'a big city', 'the suburbs',
]
USER_JOBS = [
    'a nurse', 'a teacher', 'a programmer', 'a student', 'a cook', 'a painter', 'a doctor', 'a baker', 'a driver',
    'a writer', 'a gardener', 'a lawyer', 'an engineer', 'an artist', 'an accountant', 'a musician', 'a farmer',
    'a plumber', 'a pilot', 'a librarian', 'a carpenter', 'a designer', 'a scientist', 'a waiter', 'a shop assistant',
]
USER_LIKES = [
    'jazz', 'football', 'cooking', 'hiking', 'painting', 'reading', 'chess', 'swimming', 'cycling', 'gardening',
    'old films', 'coffee', 'tea', 'dogs', 'cats', 'the sea', 'poetry', 'dancing', 'running', 'baking', 'music',
    'history', 'the rain', 'snow', 'birds', 'board games', 'fishing', 'sailing', 'knitting', 'photography',
]
PET_KINDS = ['dog', 'cat']
PET_NAMES = 'Rex Biscuit Luna Max Pepper Daisy Milo Bella Rufus Tilly Oscar Poppy Scout Bonnie Ziggy Mabel'.split()
FAVOURITE_KINDS = [('colour', 'blue green red yellow purple orange grey'.split()),
                   ('food', 'pasta soup bread cheese curry pizza fish apples'.split()),
                   ('season', 'spring summer autumn winter'.split()),
                   ('book', ['Moby Dick', 'Jane Eyre', 'Emma', 'Dracula', 'Ulysses'])]


@dataclass
class Persona:
    name: str
    job: str
    place: str
    act: tuple[str, str]
    act2: tuple[str, str]
    likes: list[str]
    traits: list[str]
    greeting: str
    system: str

    def core(self, rng: random.Random) -> str:
        sections = [self.system]
        if rng.random() < 0.9:
            sections.append('About you: ' + rng.choice([
                f'A retired {self.job} from {self.place} who now {self.act[0]} and {self.act2[0]}.',
                f'A {self.job} from {self.place} who {self.act[0]}.',
                f'{self.name} was a {self.job} for thirty years. Now {self.name} lives in {self.place} and {self.act[0]}.',
                f'Lives in {self.place}. Used to be a {self.job}. Now {self.act[0]} and {self.act2[0]}.',
                f'An old {self.job} who {self.act[0]}, {self.act2[0]} and loves {self.likes[0]}.',
                f'A {self.job} in {self.place}. Likes {self.likes[0]} and {self.likes[1]}.',
            ]))
        if rng.random() < 0.85:
            style = [self.traits[0], *rng.sample(STYLES, 2)]
            sections.append('Personality and style: ' + ', '.join(style).capitalize() + '.')
        if rng.random() < 0.4:
            sections.append(f'Example exchanges:\nUser: What do you do all day?\n{self.name}: I {self.act[1]}. Keeps my hands busy. And you?')
        return '\n\n'.join(sections)


def make_persona(rng: random.Random) -> Persona:
    name = rng.choice(FIRST_NAMES)
    job = rng.choice(JOBS)
    act, act2 = rng.sample(ACTIVITIES, 2)
    greeting = ' '.join([rng.choice(GREETING_OPENERS), rng.choice(GREETING_MIDDLES).format(act1=gerund(act[1])),
                         rng.choice(GREETING_QUESTIONS)])
    system = rng.choice([
        f'You are {name}, a retired {job}. Speak plainly and kindly, and use what you remember about the user.',
        f'You are {name}, a {job}. Be friendly and brief.',
        f'You are {name}. Stay in character.',
        f'You are {name}, an old {job} who likes to talk. Answer in one or two sentences.',
        f'You are {name}. You used to be a {job}. Be kind, and remember what the user tells you.',
        f'You are {name}, a friendly {job}. Keep your answers short.',
    ])
    return Persona(name=name, job=job, place=rng.choice(PLACES), act=act, act2=act2, likes=rng.sample(LIKES, 3),
                   traits=rng.sample(TRAITS, 2), greeting=greeting, system=system)


def gerund(phrase: str) -> str:
    verb, _, rest = phrase.partition(' ')
    if verb.endswith('e') and verb not in ('see',):
        verb = verb[:-1] + 'ing'
    elif re.fullmatch(r'[^aeiou]*[aeiou][bdgmnpt]', verb) and verb not in ('look', 'feed', 'read', 'keep', 'mend', 'tend', 'watch', 'paint'):
        verb = verb + verb[-1] + 'ing'
    else:
        verb = verb + 'ing'
    return f'{verb} {rest}'.strip()


@dataclass
class User:
    name: str
    city: str
    job: str
    likes: str
    pet: tuple[str, str]
    age: int
    favourite: tuple[str, str]
    known: dict[str, str] = field(default_factory=dict)  # fact kind -> how the persona says it back ("You live in Lisbon.")


def make_user(rng: random.Random) -> User:
    kind, values = rng.choice(FAVOURITE_KINDS)
    return User(name=rng.choice(USER_NAMES), city=rng.choice(USER_CITIES), job=rng.choice(USER_JOBS),
                likes=rng.choice(USER_LIKES), pet=(rng.choice(PET_KINDS), rng.choice(PET_NAMES)), age=rng.randint(18, 80),
                favourite=(kind, rng.choice(values)))


# Per fact kind: (the user's statement, the extractor's memory text, the persona's recall).
def fact_lines(user: User, kind: str) -> tuple[str, str, str]:
    if kind == 'name':
        return f'My name is {user.name}.', f'Their name is {user.name}.', f'Your name is {user.name}.'
    if kind == 'city':
        return f'I live in {user.city}.', f'They live in {user.city}.', f'You live in {user.city}.'
    if kind == 'job':
        return f'I am {user.job}.', f'They are {user.job}.', f'You are {user.job}.'
    if kind == 'likes':
        return f'I love {user.likes}.', f'They love {user.likes}.', f'You love {user.likes}.'
    if kind == 'pet':
        return f'My {user.pet[0]} is {user.pet[1]}.', f'Their {user.pet[0]} is {user.pet[1]}.', f'Your {user.pet[0]} is called {user.pet[1]}.'
    if kind == 'age':
        return f'I am {user.age} years old.', f'They are {user.age} years old.', f'You are {user.age}.'
    return (f'My favorite {user.favourite[0]} is {user.favourite[1]}.', f'Their favorite {user.favourite[0]} is {user.favourite[1]}.',
            f'Your favorite {user.favourite[0]} is {user.favourite[1]}.')


FACT_KINDS = ['name', 'city', 'job', 'likes', 'pet', 'age', 'favourite']
RECALL_QUESTIONS = {
    'name': ['What is my name?', 'Do you remember my name?', 'Who am I?', 'Do you know my name?', 'What did I say my name was?', 'Remember my name?'],
    'city': ['Where do I live?', 'Do you remember where I live?', 'Which city am I in?', 'Where am I from?', 'Where did I say I live?'],
    'job': ['What do I do for a living?', 'What is my job?', 'Do you remember my work?', 'What did I say I do?'],
    'likes': ['What do I love?', 'What do I like?', 'Do you remember what I like?', 'What is my hobby?'],
    'pet': ['What is my pet called?', 'Do you remember my pet?', 'What is the name of my {pet}?'],
    'age': ['How old am I?', 'Do you remember my age?'],
    'favourite': ['What is my favorite {fav}?', 'Do you remember my favorite {fav}?'],
}
UNKNOWN_RECALL = {
    'name': ['You have not told me your name yet. What is it?', 'I do not know your name yet. Will you tell me?',
             'I am afraid you never said. What should I call you?'],
    'city': ['You have not told me where you live. Where is home?', 'I do not know that yet. Where do you live?'],
    'job': ['You have not told me what you do. What is your work?', 'I do not know yet. What do you do?'],
    'likes': ['You have not told me yet. What do you like?', 'I do not know that yet. Tell me.'],
    'pet': ['You have not told me about a pet. Do you have one?', 'I do not know. Do you have a pet?'],
    'age': ['You have not told me, and I would not guess.', 'I do not know your age. I would not like to guess.'],
    'favourite': ['You have not told me that yet. What is it?', 'I do not know yet. Tell me.'],
}
RECALL_OPENERS = ['', '', 'Of course. ', 'I remember. ', 'Yes. ', 'Easy. ', 'I do. ', 'Let me think. ']
RECALL_CLOSERS = ['', '', '', ' Did I get it right?', ' I never forget a thing like that.', ' How could I forget?', ' Am I right?']

FACT_REACTIONS = {
    'name': ['Nice to meet you, {user}.', 'Hello, {user}. I am glad you came.', '{user}. That is a good name.',
             'Welcome, {user}.', 'Good to meet you, {user}. I am {persona}.'],
    'city': ['{city}! I have heard good things about it.', 'So you live in {city}. Do you like it there?',
             '{city} sounds lovely. Is it busy?', 'I have never been to {city}. What is it like?'],
    'job': ['{job_cap}! That is good work.', 'So you are {job}. Is it hard work?', 'Being {job} takes patience. Do you enjoy it?'],
    'likes': ['You love {likes}? So do many good people.', '{likes_cap} is a fine thing to love.', 'I am glad you have {likes}. It keeps the heart warm.'],
    'pet': ['A {pet_kind} called {pet_name}! I like that name.', '{pet_name} is a good name for a {pet_kind}.', 'Give {pet_name} a pat from me.'],
    'age': ['{age} is a good age.', 'At {age}, there is still plenty to see.', 'You carry your {age} years well.'],
    'favourite': ['{fav_cap} is a fine choice.', 'Good choice. I like {fav_value} too.', '{fav_cap}? I would never have guessed.'],
}

QUESTIONS_BACK = [
    'And you?', 'What about you?', 'How about you?', 'Do you like it?', 'What do you think?', 'Have you tried it?',
    'Tell me about your day.', 'What brings you here today?', 'What do you like to do?', 'Where are you from?',
    'Do you have a hobby?', 'Is it cold where you are?', 'Have you been to the sea?', 'What made you ask?',
]

HELLOS = ['Hello', 'Hi', 'Hey', 'Good morning', 'Good evening', 'Hello there', 'Hi there', 'Greetings', 'Howdy']
HELLO_REPLIES = ['Hello', 'Hello there', 'Hi', 'Well, hello', 'Good to see you', 'Welcome', 'Hello again', 'Ah, hello']

HOW_ARE_YOU = ['How are you?', 'How are you today?', 'How are you doing?', 'How is your day?', 'Are you well?', 'How have you been?']
HOW_REPLIES = ['I am well, thank you.', 'Not bad at all.', 'Very well, thanks for asking.', 'Fine, if a little tired.',
               'Good. The day has been kind to me.', 'I am keeping well.']

WHO_QUESTIONS = ['Who are you?', 'What is your name?', 'Tell me about yourself.', 'Introduce yourself.', 'What should I call you?']
WHAT_DO_QUESTIONS = ['What do you do all day?', 'What do you do?', 'How do you spend your days?', 'What keeps you busy?',
                     'What are you up to?', 'What do you do for fun?']
WHERE_QUESTIONS = ['Where do you live?', 'Where are you from?', 'Where is your home?', 'Where do you come from?']
JOB_QUESTIONS = ['What was your job?', 'What did you do for work?', 'What did you do before?', 'Did you work?']
JOB_LIFE_QUESTIONS = ['What was it like being a {job}?', 'Did you like being a {job}?', 'Was it hard work?', 'Do you miss your old job?']
LIKE_QUESTIONS = ['What do you like?', 'What do you love?', 'What makes you happy?', 'What do you enjoy most?']
TOPIC_QUESTIONS = ['Tell me about the {t}.', 'What do you know about the {t}?', 'What is a {t}?', 'What do you think about the {t}?',
                   'Do you like the {t}?', 'Have you ever seen a {t}?', 'Tell me something about the {t}.', 'Explain the {t} to me.']
TOPIC_OPENERS = ['The {t}? ', 'Ah, the {t}. ', 'The {t}. ', 'Well, ', '', 'Let me see. ']
TOPIC_OPINIONS = ['I have always liked it.', 'I think about it often.', 'My father knew all about it.', 'It is not for everyone.',
                  'I never cared much for it.', 'There was one near my old home.', 'It makes me smile.', 'I learned that long ago.',
                  'People forget how useful it is.', 'I could talk about it all day.', 'It is simple, really.']
MORE_QUESTIONS = ['Tell me more.', 'Go on.', 'Really?', 'Why?', 'And then?', 'What else?']
MORE_REPLIES = ['There is not much more to say. {q}', 'That is all I know, I am afraid. {q}', 'Well, it was a long time ago. {q}',
                'Some things are best kept short. {q}', 'I would rather hear from you now. {q}']
THANKS = ['Thank you.', 'Thanks!', 'Thank you so much.', 'That is kind of you.', 'Thanks for the chat.']
THANKS_REPLIES = ['You are welcome{u}.', 'Any time{u}.', 'My pleasure{u}.', 'No trouble at all{u}.']
BYES = ['Goodbye.', 'Bye!', 'I have to go now.', 'See you later.', 'Good night.']
BYE_REPLIES = ['Goodbye{u}. Come back soon.', 'Take care{u}.', 'Good night{u}. Mind the dark on the way down.',
               'Safe travels{u}. The door is always open.', 'Bye for now{u}.']
FEELINGS = ['I am tired today.', 'I feel a bit sad.', 'I had a good day.', 'I am bored.', 'I am happy today.', 'Work was hard today.']
FEELING_REPLIES = {
    'tired': ['Then rest a while. Tea helps. What tired you out?', 'Sit down and put your feet up. Did you sleep badly?'],
    'sad': ['I am sorry to hear that. Do you want to tell me about it?', 'That is hard. I am here if you want to talk.'],
    'good': ['I am glad. What made it good?', 'That is good to hear. Tell me the best part.'],
    'bored': ['Then let me tell you a story. Or would you rather ask me something?', 'Bored? Go for a walk by the water. It always helps me.'],
    'happy': ['Good. Happy days are worth keeping. What happened?', 'That makes me happy too. Why the good mood?'],
    'hard': ['I am sorry. Hard days end too. What went wrong?', 'Some days are like that. Rest now, and tell me if you like.'],
}
ADVICE_QUESTIONS = ['Any advice for me?', 'What should I do today?', 'Can you give me some advice?', 'Say something wise.', 'Tell me a saying.']


class Dialogue:
    """Builds one conversation: the system message, then assistant/user turns."""

    def __init__(self, rng: random.Random, topics: list[tuple[str, str]], sayings: list[str]):
        self.rng = rng
        self.topics = topics
        self.sayings = sayings
        self.persona = make_persona(rng)
        self.user = make_user(rng)
        self.memory_facts: list[str] = []
        self.last_topic: str | None = None

    def u(self) -> str:
        """', Zed' when the persona knows the user's name, sometimes."""
        return f', {self.user.name}' if 'name' in self.user.known and self.rng.random() < 0.6 else ''

    def question_back(self) -> str:
        return self.rng.choice(QUESTIONS_BACK)

    def system_message(self) -> str:
        core = self.persona.core(self.rng)
        lines: list[str] = []
        if self.rng.random() < 0.45:  # an earlier conversation left memories
            for kind in self.rng.sample(FACT_KINDS, self.rng.randint(1, 4)):
                statement, memory, recall = fact_lines(self.user, kind)
                self.user.known[kind] = recall
                lines.append(self.rng.choice([f'- About them: {memory}', f'- About them: {memory}', f'- They said: {statement}']))
            if self.rng.random() < 0.3:
                lines.append(f'- You said: {self.rng.choice(HOW_REPLIES)}')
            self.rng.shuffle(lines)
        return core + (f'\n\n{MEMORY_HEADER}\n' + '\n'.join(lines) if lines else '')

    def exchange(self) -> tuple[str, str]:
        rng, p, user = self.rng, self.persona, self.user
        kind = rng.choices(
            ['hello', 'how', 'who', 'what_do', 'where', 'job', 'job_life', 'like', 'tell_facts', 'recall', 'topic', 'more',
             'thanks', 'feeling', 'advice', 'bye'],
            weights=[6, 5, 6, 6, 4, 4, 3, 4, 14, 16, 18, 3, 3, 4, 3, 2])[0]
        if kind == 'hello':
            hello = rng.choice(HELLOS)
            user_text = rng.choice([f'{hello} {p.name}', f'{hello}, {p.name}!', f'{hello}!', f'{hello}.', f'{hello} {p.name}, how are you?'])
            opener = hello if hello.startswith('Good') and rng.random() < 0.7 else rng.choice(HELLO_REPLIES)
            parts = [opener + self.u() + '.']
            roll = rng.random()
            if roll < 0.35:  # the persona's own greeting style: its middle sentence again
                parts.append(p.greeting.split('. ', 1)[1].rsplit('. ', 1)[0].rstrip('.') + '.' if p.greeting.count('. ') >= 2 else p.greeting)
            elif roll < 0.6:
                parts.append(rng.choice(GREETING_MIDDLES).format(act1=gerund(p.act[1])))
            parts.append(rng.choice(GREETING_QUESTIONS))
            return user_text, ' '.join(parts)
        if kind == 'how':
            return rng.choice(HOW_ARE_YOU), f'{rng.choice(HOW_REPLIES)} I have been busy. I {p.act[1]}, you know. {self.question_back()}'
        if kind == 'who':
            return rng.choice(WHO_QUESTIONS), rng.choice([
                f'I am {p.name}. I was a {p.job} once, and now I {p.act[1]}.',
                f'My name is {p.name}. I {p.act[1]} and {p.act2[1]}. {self.question_back()}',
                f'{p.name}. Just {p.name}. An old {p.job} who likes {p.likes[0]}.',
                f'I am {p.name}, a {p.job} from {p.place}. {self.question_back()}',
            ])
        if kind == 'what_do':
            return rng.choice(WHAT_DO_QUESTIONS), rng.choice([
                f'These days I {p.act[1]}. It keeps my hands busy. {self.question_back()}',
                f'I {p.act[1]}, mostly. And I {p.act2[1]} when the weather is bad.',
                f'Most days I {p.act[1]}. In the evenings I {p.act2[1]}.',
                f'Not much. I {p.act[1]} and drink {rng.choice(["tea", "coffee", "cocoa"])}. {self.question_back()}',
            ])
        if kind == 'where':
            return rng.choice(WHERE_QUESTIONS), rng.choice([f'I live in {p.place}. It is quiet there. {self.question_back()}',
                                                              f'{p.place[0].upper() + p.place[1:]}. I would not live anywhere else.',
                                                              f'From {p.place}. Have you been?'])
        if kind == 'job':
            return rng.choice(JOB_QUESTIONS), rng.choice([f'I was a {p.job} for many years.', f'I worked as a {p.job}. Long hours, good people.',
                                                            f'A {p.job}. I still miss it some days.'])
        if kind == 'job_life':
            return rng.choice(JOB_LIFE_QUESTIONS).format(job=p.job), rng.choice([
                'Hard work, but honest. I would do it again.', 'Cold mornings and long nights. I loved every day of it.',
                'It had its good days and its bad days. Mostly good.', f'I miss it. Now I {p.act[1]} instead. {self.question_back()}'])
        if kind == 'like':
            return rng.choice(LIKE_QUESTIONS), rng.choice([f'I like {p.likes[0]} and {p.likes[1]}. {self.question_back()}',
                                                             f'{p.likes[0][0].upper() + p.likes[0][1:]}, mostly. And {p.likes[2]}.',
                                                             f'I love {p.likes[1]}. Nothing beats it.'])
        if kind == 'tell_facts':
            kinds = rng.sample(FACT_KINDS, rng.choice([1, 1, 2]))
            statements, reactions = [], []
            for fact_kind in kinds:
                statement, _, recall = fact_lines(user, fact_kind)
                statements.append(statement)
                user.known[fact_kind] = recall
                reactions.append(rng.choice(FACT_REACTIONS[fact_kind]).format(
                    user=user.name, persona=p.name, city=user.city, job=user.job, job_cap=user.job[0].upper() + user.job[1:],
                    likes=user.likes, likes_cap=user.likes[0].upper() + user.likes[1:], pet_kind=user.pet[0], pet_name=user.pet[1],
                    age=user.age, fav_value=user.favourite[1], fav_cap=user.favourite[1][0].upper() + user.favourite[1][1:]))
            if len(statements) == 2 and statements[0].startswith('My name is') and rng.random() < 0.5:
                user_text = statements[0][:-1] + ' and ' + statements[1][0].lower() + statements[1][1:]
            else:
                user_text = ' '.join(statements)
            if rng.random() < 0.3:
                user_text += ' ' + rng.choice(WHAT_DO_QUESTIONS[:3] + WHO_QUESTIONS[:2])
                reactions.append(f'As for me, I {p.act[1]}.')
            return user_text, ' '.join(reactions)
        if kind == 'recall':
            known = list(user.known)
            fact_kind = rng.choice(known) if known and rng.random() < 0.8 else rng.choice(FACT_KINDS)
            question = rng.choice(RECALL_QUESTIONS[fact_kind]).format(pet=user.pet[0], fav=user.favourite[0])
            if fact_kind in user.known:
                return question, rng.choice(RECALL_OPENERS) + user.known[fact_kind] + rng.choice(RECALL_CLOSERS)
            return question, rng.choice(UNKNOWN_RECALL[fact_kind])
        if kind == 'topic':
            topic, definition = rng.choice(self.topics)
            self.last_topic = topic
            opener = rng.choice(TOPIC_OPENERS).format(t=topic)
            body = rng.choice([f'It is {definition}.', f'A {topic} is {definition}.' if definition.startswith(('a ', 'an ')) and topic[0] not in 'aeiou'
                               else f'It is {definition}.', f'That is {definition}.'])
            body = body[0].upper() + body[1:] if not opener or opener.endswith('. ') or opener.endswith('? ') else body
            tail = rng.choice(['', rng.choice(TOPIC_OPINIONS), f'{rng.choice(TOPIC_OPINIONS)} {self.question_back()}'])
            return rng.choice(TOPIC_QUESTIONS).format(t=topic), f'{opener}{body} {tail}'.strip()
        if kind == 'more':
            return rng.choice(MORE_QUESTIONS), rng.choice(MORE_REPLIES).format(q=self.question_back())
        if kind == 'thanks':
            return rng.choice(THANKS), rng.choice(THANKS_REPLIES).format(u=self.u())
        if kind == 'feeling':
            text = rng.choice(FEELINGS)
            key = next(k for k in FEELING_REPLIES if k in text)
            return text, rng.choice(FEELING_REPLIES[key])
        if kind == 'advice':
            saying = rng.choice(self.sayings)
            return rng.choice(ADVICE_QUESTIONS), rng.choice([saying, f'My mother used to say: {saying}', f'Here is one. {saying}'])
        return rng.choice(BYES), rng.choice(BYE_REPLIES).format(u=self.u())

    def messages(self, max_exchanges: int) -> list[dict]:
        out = [{'role': 'system', 'content': self.system_message()}]
        if self.rng.random() < 0.85:
            out.append({'role': 'assistant', 'content': self.persona.greeting})
        for _ in range(max_exchanges):
            user_text, reply = self.exchange()
            out.append({'role': 'user', 'content': user_text})
            out.append({'role': 'assistant', 'content': reply})
        return out


def read_sayings(fortune_dir: Path, words: set[str]) -> list[str]:
    """Short fortunes whose every word is in the dictionary, without attributions or quotes: natural sentences."""
    sayings: list[str] = []
    for name in ('wisdom', 'platitudes', 'cookie', 'fortunes', 'people', 'work', 'love', 'food', 'pets', 'education'):
        raw = (fortune_dir / name).read_text(encoding='latin-1')
        for block in re.split(r'^%$', raw, flags=re.M):
            text = re.sub(r'\s+', ' ', block).strip()
            if not (25 <= len(text) <= 110) or not text.isascii() or '--' in text or '"' in text or ':' in text:
                continue
            if not re.fullmatch(r"[A-Z][A-Za-z ,';]*[.!]", text):
                continue
            if any(w.lower().strip("'") not in words for w in re.findall(r"[A-Za-z']+", text) if not w.endswith("'s")):
                continue
            sayings.append(text)
    return sorted(set(sayings))


def build_conversations(count: int, seed: int, topics: list[tuple[str, str]], sayings: list[str]) -> list[list[dict]]:
    rng = random.Random(seed)
    return [Dialogue(rng, topics, sayings).messages(rng.randint(4, 9)) for _ in range(count)]
