# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter04_classification-and-regression.ipynb
# "Deep Learning with Python", 3rd edition, chapter 4: "Classifying movie reviews: a
# binary classification example". Author: François Chollet. Licence: MIT.
# Cells 7, 14, 16, 18-22, 27, 30. Changed for the tests: the imports (below), the data
# (standin.py's IMDB stand-in: 2,500 + 2,500 reviews, so the validation slice is 1000
# instead of 10000), and the last line, which reports the key figures. Word-index
# decoding, plots and bare expressions are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
else:
    import fastnn as keras
    from fastnn import layers
from standin import imdb, report

(train_data, train_labels), (test_data, test_labels) = imdb.load_data(
    num_words=10000
)

import numpy as np

def multi_hot_encode(sequences, num_classes):
    results = np.zeros((len(sequences), num_classes))
    for i, sequence in enumerate(sequences):
        results[i][sequence] = 1.0
    return results

x_train = multi_hot_encode(train_data, num_classes=10000)
x_test = multi_hot_encode(test_data, num_classes=10000)

y_train = train_labels.astype("float32")
y_test = test_labels.astype("float32")

model = keras.Sequential(
    [
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)

model.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=["accuracy"],
)

x_val = x_train[:1000]
partial_x_train = x_train[1000:]
y_val = y_train[:1000]
partial_y_train = y_train[1000:]

history = model.fit(
    partial_x_train,
    partial_y_train,
    epochs=20,
    batch_size=512,
    validation_data=(x_val, y_val),
)
history_dict = history.history
val_acc_first_run = history_dict["val_accuracy"][-1]

model = keras.Sequential(
    [
        layers.Dense(16, activation="relu"),
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, epochs=4, batch_size=512)
results = model.evaluate(x_test, y_test)

predictions = model.predict(x_test)

report(val_accuracy=val_acc_first_run, loss=history.history["loss"][-1],
       test_loss=results[0], test_acc=results[1], mean_prediction=predictions.mean())
